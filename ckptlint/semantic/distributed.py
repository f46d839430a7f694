"""Whether a module is a distributed script (the catalog's definition).

Minimal on purpose: CKPT104 and CKPT108 need one yes/no. A module is
distributed when it calls `init_process_group`, wraps a model in DDP/FSDP or
calls `fully_shard`, builds a `DistributedSampler`, or reads `LOCAL_RANK` /
`RANK` from the environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

import libcst as cst

from ckptlint.semantic import catalog

if TYPE_CHECKING:
    from ckptlint.semantic.model import SemanticModel


@dataclass(frozen=True)
class DistributedFacts:
    starts_process_group: bool
    wraps_distributed: bool  # DDP / FSDP / fully_shard
    builds_distributed_sampler: bool
    reads_rank_from_env: bool

    @property
    def is_distributed(self) -> bool:
        return (
            self.starts_process_group
            or self.wraps_distributed
            or self.builds_distributed_sampler
            or self.reads_rank_from_env
        )

    @classmethod
    def build(cls, model: "SemanticModel") -> "DistributedFacts":
        wraps = [name for name, wrap in catalog.WRAPS.items() if wrap in ("ddp", "fsdp")]
        return cls(
            starts_process_group=bool(model.calls_to(*catalog.PROCESS_GROUP_STARTS)),
            wraps_distributed=bool(model.calls_to(*wraps, *catalog.FULLY_SHARD)),
            builds_distributed_sampler=bool(model.calls_to(*catalog.DISTRIBUTED_SAMPLERS)),
            reads_rank_from_env=_reads_rank(model),
        )


def _reads_rank(model: "SemanticModel") -> bool:
    if not any(var in model.text for var in catalog.RANK_VARIABLES):
        return False
    for site in model.calls_to("os.environ.get", "os.getenv"):
        if site.node.args and _rank_literal(site.node.args[0].value):
            return True
    finder = _EnvironSubscripts()
    model.module.visit(finder)
    return any(
        model.qualname(node.value) == "os.environ" and _rank_literal(_index(node)) for node in finder.found
    )


def _index(node: cst.Subscript) -> Optional[cst.BaseExpression]:
    if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        return node.slice[0].slice.value
    return None


def _rank_literal(node: Optional[cst.BaseExpression]) -> bool:
    return isinstance(node, cst.SimpleString) and node.evaluated_value in catalog.RANK_VARIABLES


class _EnvironSubscripts(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found = []

    def visit_Subscript(self, node: cst.Subscript) -> None:
        self.found.append(node)
