"""The model's own walks agree with libcst's visitors.

`Tree(module)` must meet the nodes in the order `node.visit` enters them,
`Tree(module).edges()` must equal `ParentNodeProvider`'s map, and the call index must
list the same calls, in the same order, with the same enclosing function and
class, as a plain `CSTVisitor` (the reference below).
"""

from __future__ import annotations

from typing import List, Optional

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, ParentNodeProvider

from ckptlint.semantic.core.index import Index
from ckptlint.semantic.core.tree import LAYOUT_LEAVES, Tree

from samples import CASES, IDS  # noqa: E402


class ReferenceIndexer(cst.CSTVisitor):
    """The call index as libcst's visitor order defines it."""

    def __init__(self) -> None:
        self.calls: List[tuple] = []
        self.statement_calls: set = set()
        self._functions: List[cst.CSTNode] = []
        self._classes: List[cst.ClassDef] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._functions.pop()

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
            self.statement_calls.add(id(node.value))

    def visit_Call(self, node: cst.Call) -> None:
        function: Optional[cst.CSTNode] = self._functions[-1] if self._functions else None
        class_def = self._classes[-1] if self._classes else None
        self.calls.append((id(node), id(function), id(class_def)))


@pytest.mark.parametrize("name, text", CASES, ids=IDS)
def test_same_parents_as_libcst(name: str, text: str) -> None:
    module = cst.parse_module(text)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ParentNodeProvider)
    walked = {id(c): id(p) for c, p in Tree(module).edges()}
    assert walked == {id(c): id(p) for c, p in expected.items() if not isinstance(c, LAYOUT_LEAVES)}
    assert any(isinstance(c, LAYOUT_LEAVES) for c in expected)  # the skipped leaves were there to skip


@pytest.mark.parametrize("name, text", CASES, ids=IDS)
def test_same_call_index_as_a_visitor(name: str, text: str) -> None:
    module = cst.parse_module(text)
    reference = ReferenceIndexer()
    module.visit(reference)
    index = Index.build(Tree(module))
    assert [(id(c.node), id(c.function), id(c.class_def)) for c in index.calls] == reference.calls
    assert index.statement_calls == reference.statement_calls


class Recorder(cst.CSTVisitor):
    """Records every node in the order libcst's visitor enters it."""

    def __init__(self) -> None:
        self.visited: List[int] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if not isinstance(node, LAYOUT_LEAVES):  # the walk skips them (nothing asks where they are)
            self.visited.append(id(node))
        return True


def walk_order(module: cst.Module) -> List[int]:
    """The nodes in the order the model's one walk numbers them."""
    tree = Tree(module)
    return [id(node) for node in sorted(tree.order, key=tree.order.__getitem__)]


@pytest.mark.parametrize("name, text", CASES, ids=IDS)
def test_the_walk_meets_nodes_in_the_visitors_order(name: str, text: str) -> None:
    module = cst.parse_module(text)
    expected = Recorder()
    module.visit(expected)
    assert walk_order(module) == expected.visited


def test_the_visit_order_table_matches_the_installed_libcst() -> None:
    from ckptlint.semantic.core.visit_order import ORDER, generate

    assert ORDER == generate(), "regenerate with `python -m ckptlint.semantic.core.visit_order`"
