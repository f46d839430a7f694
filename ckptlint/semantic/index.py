"""One walk over the tree that records what the model's facts are built from.

The index is structural only (no name resolution): calls with their
enclosing function and class, which calls are whole statements, and the
module's top-level imports. Facts that need names are computed from it, on
demand, by the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Set, Tuple, Union

import libcst as cst

from ckptlint.semantic.walk import children

FunctionNode = Union[cst.FunctionDef, cst.Lambda]


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
    def build(cls, module: cst.Module) -> "Index":
        """One pre-order walk in source order: a call comes before the calls in its arguments."""
        index = cls()
        stack: List[Tuple[cst.CSTNode, Optional[FunctionNode], Optional[cst.ClassDef]]] = [(module, None, None)]
        while stack:
            node, function, class_def = stack.pop()
            if isinstance(node, cst.Call):
                index.calls.append(IndexedCall(node, function, class_def))
            elif isinstance(node, cst.Expr) and isinstance(node.value, cst.Call):
                index.statement_calls.add(id(node.value))
            # Everything under a def (decorators and defaults too) belongs to it.
            if isinstance(node, (cst.FunctionDef, cst.Lambda)):
                function = node
            elif isinstance(node, cst.ClassDef):
                class_def = node  # the nearest class, also for the methods' bodies
            stack.extend((child, function, class_def) for child in reversed(list(children(node))))
        return index
