"""Which FSDP state-dict policy governs a node (read by CKPT305).

FSDP's `state_dict()` returns whatever the current state-dict type says: a
policy is set for the whole module with `FSDP.set_state_dict_type(...)`, or
for a block with `with FSDP.state_dict_type(...):`. Both are found by
qualified name, through any import form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, FrozenSet, Mapping

import libcst as cst

from ckptlint.semantic import catalog

if TYPE_CHECKING:
    from ckptlint.semantic.model import SemanticModel


def _names(method: str) -> tuple:
    return tuple(f"{base}.{method}" for base in catalog.FSDP_CLASSES)


@dataclass(frozen=True)
class FsdpPolicy:
    sets_default: bool  # the module calls `FSDP.set_state_dict_type(...)`
    scoped_calls: FrozenSet[int]  # id() of `FSDP.state_dict_type(...)` calls
    parents: Mapping[cst.CSTNode, cst.CSTNode]

    @classmethod
    def build(cls, model: "SemanticModel") -> "FsdpPolicy":
        scoped = frozenset(id(site.node) for site in model.calls_to(*_names("state_dict_type")))
        sets_default = bool(model.calls_to(*_names("set_state_dict_type")))
        return cls(sets_default, scoped, model.parents if scoped else {})

    def scoped(self, node: cst.CSTNode) -> bool:
        """An enclosing `with` in the same function enters `FSDP.state_dict_type(...)`."""
        current = self.parents.get(node)
        while current is not None and not isinstance(current, (cst.FunctionDef, cst.Module)):
            if isinstance(current, cst.With) and any(id(item.item) in self.scoped_calls for item in current.items):
                return True
            current = self.parents.get(current)
        return False

    def governs(self, node: cst.CSTNode) -> bool:
        """Some explicit state-dict policy applies where ``node`` runs."""
        return self.sets_default or self.scoped(node)
