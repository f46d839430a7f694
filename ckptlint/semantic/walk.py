"""Walking a libcst tree by its nodes' fields, without libcst's visitor machinery.

libcst's visitors rebuild every node they pass through; the model's
structural passes (the parent map, the call index) only read, so they walk
the dataclass fields themselves, several times faster. A node's children are
the `CSTNode` values of its fields, alone or in a sequence. Fields are taken
in source order: dataclass order is source order except for the few node
types listed in `_SOURCE_ORDER` (tests compare both walks with libcst's own).
"""

from __future__ import annotations

import dataclasses
from typing import Dict, Iterator, List, Tuple, Type

import libcst as cst

# Node types whose dataclass field order is not the order of their source text.
_SOURCE_ORDER: Dict[Type[cst.CSTNode], Tuple[str, ...]] = {
    cst.FunctionDef: ("decorators", "name", "type_parameters", "params", "returns", "body"),
    cst.ClassDef: ("decorators", "name", "type_parameters", "bases", "keywords", "body"),
    cst.IfExp: ("body", "test", "orelse"),
    cst.Parameters: ("posonly_params", "posonly_ind", "params", "star_arg", "kwonly_params", "star_kwarg"),
    cst.MatchCase: ("pattern", "guard", "body"),
    cst.ExceptHandler: ("type", "name", "body"),
    cst.ExceptStarHandler: ("type", "name", "body"),
    cst.Arg: ("keyword", "value"),
}
_FIELDS: Dict[Type[cst.CSTNode], Tuple[str, ...]] = {}


def child_fields(node_type: Type[cst.CSTNode]) -> Tuple[str, ...]:
    """The names of ``node_type``'s fields, the ones that come first in source text first."""
    names = _FIELDS.get(node_type)
    if names is None:
        declared = tuple(field.name for field in dataclasses.fields(node_type))
        first = tuple(name for name in _SOURCE_ORDER.get(node_type, ()) if name in declared)
        names = _FIELDS[node_type] = first + tuple(name for name in declared if name not in first)
    return names


def children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """``node``'s children, in source order."""
    for name in child_fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            yield value
        elif isinstance(value, (tuple, list)):
            for item in value:
                if isinstance(item, cst.CSTNode):
                    yield item


def visit_tree(node: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    """``node.visit(visitor)`` for a read-only visitor, without rebuilding nodes.

    Calls `visit_<Type>` before a node's children (a `False` result skips them)
    and `leave_<Type>` after, in source order, as libcst does. Attribute hooks
    (`visit_<Type>_<field>`) are not called: no visitor of the model uses them.
    """
    # (node, entered): a node is pushed once to enter it and once more to leave it.
    stack: List[Tuple[cst.CSTNode, bool]] = [(node, False)]
    while stack:
        current, entered = stack.pop()
        if entered:
            visitor.on_leave(current)
            continue
        descend = visitor.on_visit(current)
        stack.append((current, True))
        if descend:
            stack.extend((child, False) for child in reversed(list(children(current))))
