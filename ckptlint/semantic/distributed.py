"""Whether a module is a distributed script (the catalog's definition).

Minimal on purpose: CKPT104 and CKPT108 need one yes/no. A module is
distributed when it calls `init_process_group`, wraps a model in DDP/FSDP or
calls `fully_shard`, builds a `DistributedSampler`, or reads `LOCAL_RANK` /
`RANK` from the environment.
"""

from __future__ import annotations

from dataclasses import dataclass
import re
from typing import TYPE_CHECKING, FrozenSet, List, Optional

import libcst as cst

from ckptlint.semantic import catalog
from ckptlint.semantic.core.walk import visit_tree

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
    visit_tree(model.module, finder)
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


# -- what a save writes, for the distributed rules (CKPT301) ---------------------
COLLECTIVE_STATE_CALLS = frozenset(
    {
        "torch.distributed.checkpoint.state_dict.get_model_state_dict",
        "torch.distributed.checkpoint.state_dict.get_state_dict",
        "torch.distributed.checkpoint.state_dict.get_optimizer_state_dict",
        "torch.distributed.fsdp.FullyShardedDataParallel.full_optim_state_dict",
        "torch.distributed.fsdp.FullyShardedDataParallel.optim_state_dict",
        "torch.distributed.fsdp.FullyShardedDataParallel.sharded_optim_state_dict",
    }
)


def writes_collective_state(model: "SemanticModel", save, project) -> bool:  # type: ignore[no-untyped-def]
    """The save writes sharded or collective state: a `state_dict()` of an FSDP-wrapped
    model (any model's, in a file that calls `fully_shard`), `get_model_state_dict`/
    `get_state_dict`, or a ZeRO optimizer's state after `consolidate_state_dict` in the
    same function. Every rank must take such state, so CKPT301 leaves it to CKPT305."""
    from ckptlint.semantic.kinds import Kind

    obj = save.obj
    if obj is None:
        return False
    calls = _Calls()
    visit_tree(obj, calls)
    if isinstance(obj, cst.Name):
        binding = model.bindings.reaching(obj.value, save.call)
        if binding is not None and binding.value is not None:
            visit_tree(binding.value, calls)
    fully_shards = bool(model.calls_to(*catalog.FULLY_SHARD))
    kinds = model.kinds(project)
    for call in calls.found:
        if model.qualname(call.func) in COLLECTIVE_STATE_CALLS:
            return True
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == "state_dict":
            kind = kinds.of(func.value)
            if kind is not None and (kind.wrap == "fsdp" or fully_shards and kind.kind is Kind.MODEL):
                return True
    if save.function is not None and "consolidate_state_dict" in model.code(save.function):
        return True
    return False


class _Calls(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found = []

    def visit_Call(self, node: cst.Call) -> None:
        self.found.append(node)


# -- DistributedSampler and the epoch loops that iterate its loader (CKPT303) -----
@dataclass(frozen=True, eq=False)
class SamplerUse:
    """A shuffling `DistributedSampler`, its loader, and an epoch loop that iterates that loader."""

    sampler_call: cst.Call
    sampler: Optional[str]  # how the loop's function spells the sampler (`train_sampler`), if named
    loader: str  # how it spells the loader (`train_loader`, `self.loader`)
    loop: object  # the `loops.Loop` of the epoch loop
    sets_epoch: bool  # the loop calls `set_epoch`, directly or in a same-file function it calls


def distributed_sampler_uses(model: "SemanticModel") -> List[SamplerUse]:
    """Every (shuffling sampler, epoch loop over its loader) pair in the file.

    A sampler that does not shuffle (`shuffle=` anything but a missing argument or
    literal `True`) is skipped: `shuffle=args.shuffle` may be False, so it is silent.
    The loader is the `DataLoader(..., sampler=<sampler>)` assigned to a name or
    attribute in the same function; the epoch loops are those of that function
    whose body mentions the loader or the sampler."""
    uses: List[SamplerUse] = []
    loaders = model.calls_to(*catalog.DATALOADER_CLASSES)
    for site in model.calls_to(*catalog.DISTRIBUTED_SAMPLERS):
        if not _shuffles(site.node):
            continue
        sampler = _assigned_spelling(model, site.node)
        for loader_call in loaders:
            argument = next((a.value for a in loader_call.node.args if a.keyword is not None and a.keyword.value == "sampler"), None)
            if argument is None or not (argument is site.node or sampler is not None and model.code(argument) == sampler):
                continue
            loader = _assigned_spelling(model, loader_call.node)
            if loader is None or loader_call.function is not site.function:
                continue
            for loop in model.loops.epoch_loops:
                if loop.function is not site.function or model.span(loop.node).start_offset < model.span(loader_call.node).end_offset:
                    continue
                body = model.code(loop.node.body)
                if not any(re.search(rf"(?<![\w.]){re.escape(n)}\b", body) for n in (loader, sampler) if n):
                    continue
                uses.append(SamplerUse(site.node, sampler, loader, loop, _sets_epoch(model, loop.node.body, body)))
    return uses


def _shuffles(call: cst.Call) -> bool:
    shuffle = next((a.value for a in call.args if a.keyword is not None and a.keyword.value == "shuffle"), None)
    if shuffle is None:
        positional = [a for a in call.args if a.keyword is None and not a.star]
        shuffle = positional[3].value if len(positional) > 3 else None  # (dataset, num_replicas, rank, shuffle)
    return shuffle is None or isinstance(shuffle, cst.Name) and shuffle.value == "True"


def _assigned_spelling(model: "SemanticModel", call: cst.Call) -> Optional[str]:
    parent = model.parents.get(call)
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
        target = parent.targets[0].target
        if isinstance(target, (cst.Name, cst.Attribute)):
            return model.code(target)
    return None


def _sets_epoch(model: "SemanticModel", body: cst.CSTNode, text: str) -> bool:
    if "set_epoch" in text:
        return True
    setters = _functions_setting_epoch(model)
    if not setters:
        return False
    calls = _Calls()
    visit_tree(body, calls)
    for call in calls.found:
        func = call.func
        name = func.value if isinstance(func, cst.Name) else func.attr.value if isinstance(func, cst.Attribute) else None
        if name in setters:
            return True
    return False


def _functions_setting_epoch(model: "SemanticModel") -> FrozenSet[str]:
    if "set_epoch" not in model.text:
        return frozenset()
    return frozenset(
        indexed.function.name.value
        for indexed in model.index.calls
        if isinstance(indexed.function, cst.FunctionDef)
        and isinstance(indexed.node.func, cst.Attribute)
        and indexed.node.func.attr.value == "set_epoch"
    )
