"""Where a call sits inside a loop: on every iteration, or only under a condition.

CKPT505 asks whether a save runs on every iteration of a loop: directly in
its body, or under `with` / `try` / `finally` only. An `if`, an `else`, an
`except` handler, a nested loop, a conditional expression or a lambda in
between makes it conditional, and so does an earlier `continue` / `break` /
`return` / `raise` in the loop body (`if step % N: continue`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, FrozenSet

import libcst as cst

from ckptlint.semantic.core.walk import visit_tree

if TYPE_CHECKING:
    from ckptlint.semantic.model import SemanticModel

# Blocks that run whenever the code around them runs.
_UNCONDITIONAL = (
    cst.SimpleStatementLine,
    cst.SimpleStatementSuite,
    cst.IndentedBlock,
    cst.With,
    cst.WithItem,
    cst.Try,
    cst.TryStar,
    cst.Finally,
)
# Expressions that may skip their operand.
_CONDITIONAL_EXPRESSIONS = (
    cst.IfExp,
    cst.BooleanOperation,
    cst.Lambda,
    cst.ListComp,
    cst.SetComp,
    cst.DictComp,
    cst.GeneratorExp,
)


def for_target_names(loop: cst.For) -> FrozenSet[str]:
    """The names a `for` statement binds (`i` and `batch` in `for i, batch in ...`)."""
    names = set()
    stack = [loop.target]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            names.add(node.value)
        elif isinstance(node, (cst.Tuple, cst.List)):
            stack.extend(element.value for element in node.elements)
        elif isinstance(node, cst.StarredElement):
            stack.append(node.value)
    return frozenset(names)


def runs_every_iteration(model: "SemanticModel", node: cst.CSTNode, loop: cst.For) -> bool:
    """Whether ``node`` (inside ``loop``'s body) runs on every iteration of ``loop``."""
    current = model.parents.get(node)
    statement_level = False
    while current is not None and current is not loop:
        if isinstance(current, cst.SimpleStatementLine):
            statement_level = True
        if not statement_level and isinstance(current, _CONDITIONAL_EXPRESSIONS):
            return False
        if statement_level and not isinstance(current, _UNCONDITIONAL):
            return False
        current = model.parents.get(current)
    if current is None:
        return False
    return not _exits_before(model, loop, model.span(node).start_offset)


class _Exits(cst.CSTVisitor):
    """`continue` / `break` / `return` / `raise` of this loop (not of nested loops or functions)."""

    def __init__(self) -> None:
        self.found: list = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_For(self, node: cst.For) -> bool:
        return False

    def visit_While(self, node: cst.While) -> bool:
        return False

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, (cst.Continue, cst.Break, cst.Return, cst.Raise)):
            self.found.append(node)
        return super().on_visit(node)


def _exits_before(model: "SemanticModel", loop: cst.For, offset: int) -> bool:
    exits = _Exits()
    visit_tree(loop.body, exits)
    return any(model.span(node).start_offset < offset for node in exits.found)
