"""Which FSDP state-dict policy governs a node (read by CKPT305).

FSDP's `state_dict()` returns whatever the current state-dict type says: a
policy is set for the whole module with `FSDP.set_state_dict_type(...)`, or
for a block with `with FSDP.state_dict_type(...):`. Both are found by
qualified name, through any import form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import FrozenSet

import libcst as cst

from ckptlint.semantic.data import catalog

from ckptlint.semantic.core.module import ModuleCore
from ckptlint.semantic.core.tree import Tree


def _names(method: str) -> tuple:
    return tuple(f"{base}.{method}" for base in catalog.FSDP_CLASSES)


@dataclass(frozen=True)
class FsdpPolicy:
    sets_default: bool  # the module calls `FSDP.set_state_dict_type(...)`
    scoped_calls: FrozenSet[int]  # id() of `FSDP.state_dict_type(...)` calls
    tree: Tree

    @classmethod
    def build(cls, core: ModuleCore) -> "FsdpPolicy":
        scoped = frozenset(id(site.node) for site in core.calls_to(*_names("state_dict_type")))
        sets_default = bool(core.calls_to(*_names("set_state_dict_type")))
        return cls(sets_default, scoped, core.tree)

    def scoped(self, node: cst.CSTNode) -> bool:
        """An enclosing `with` in the same function enters `FSDP.state_dict_type(...)`."""
        if not self.scoped_calls:
            return False
        for current in self.tree.ancestors(node):
            if isinstance(current, (cst.FunctionDef, cst.Module)):
                return False
            if isinstance(current, cst.With) and any(id(item.item) in self.scoped_calls for item in current.items):
                return True
        return False

    def governs(self, node: cst.CSTNode) -> bool:
        """Some explicit state-dict policy applies where ``node`` runs."""
        return self.sets_default or self.scoped(node)
