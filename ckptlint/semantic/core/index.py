"""Every call of the module, with its enclosing function and class.

Read off the tree's list of calls (no walk of its own). A call's function is
the nearest `def` or `lambda` around it (everything under a def, decorators
and defaults too, belongs to it) and its class the nearest class around it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Set

import libcst as cst

from ckptlint.semantic.core.tree import FunctionNode, Tree


@dataclass
class IndexedCall:
    node: cst.Call
    function: Optional[FunctionNode]
    class_def: Optional[cst.ClassDef]


@dataclass
class Index:
    calls: List[IndexedCall] = field(default_factory=list)
    statement_calls: Set[int] = field(default_factory=set)  # id() of calls that are whole statements

    @classmethod
    def build(cls, tree: Tree) -> "Index":
        """Calls in source order: a call comes before the calls in its arguments."""
        index = cls()
        for call in tree.nodes(cst.Call):
            function = tree.enclosing(call, (cst.FunctionDef, cst.Lambda))
            class_def = tree.enclosing(call, (cst.ClassDef,))
            index.calls.append(IndexedCall(call, function, class_def))  # type: ignore[arg-type]
        index.statement_calls = {id(e.value) for e in tree.nodes(cst.Expr) if isinstance(e.value, cst.Call)}
        return index
