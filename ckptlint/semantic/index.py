"""One pass over the tree that records what the model's facts are built from.

The index is structural only (no name resolution): calls with their
enclosing function and class, which calls are whole statements, and the
module's top-level imports. Facts that need names are computed from it, on
demand, by the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Set, Union

import libcst as cst

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
        visitor = _Indexer()
        module.visit(visitor)
        return visitor.index


class _Indexer(cst.CSTVisitor):
    def __init__(self) -> None:
        self.index = Index()
        self._functions: List[FunctionNode] = []
        self._classes: List[Optional[cst.ClassDef]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node)
        self._classes.append(None)  # a method's body is not the class body

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._functions.pop()
        self._classes.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._functions.append(node)

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self._functions.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_Expr(self, node: cst.Expr) -> None:
        if isinstance(node.value, cst.Call):
            self.index.statement_calls.add(id(node.value))

    def visit_Call(self, node: cst.Call) -> None:
        function = self._functions[-1] if self._functions else None
        enclosing_class = next((c for c in reversed(self._classes) if c is not None), None)
        self.index.calls.append(IndexedCall(node, function, enclosing_class))
