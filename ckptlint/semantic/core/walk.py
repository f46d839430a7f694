"""Walking a libcst tree by its nodes' fields, without libcst's visitor machinery.

libcst's visitors rebuild every node they pass through; the model's passes
only read, so they walk the nodes' fields themselves, several times faster.
A node's children are the `CSTNode` values of its fields, alone or in a
sequence, taken in the order libcst visits them (`visit_order.py`, generated
from libcst's source), so a visitor sees exactly the calls `node.visit` would
make (tests compare the two on every fixture and rule example).
"""

from __future__ import annotations

import dataclasses
from typing import Dict, Iterator, List, Tuple, Type

import libcst as cst

from ckptlint.semantic.core.visit_order import ORDER

_FIELDS: Dict[Type[cst.CSTNode], Tuple[str, ...]] = {}


def child_fields(node_type: Type[cst.CSTNode]) -> Tuple[str, ...]:
    """The fields of ``node_type`` that libcst visits, in its order."""
    names = _FIELDS.get(node_type)
    if names is None:
        known = ORDER.get(node_type.__name__)
        if known is None:  # a node type newer than the table: every field, in declaration order
            known = tuple(field.name for field in dataclasses.fields(node_type))
        names = _FIELDS[node_type] = known
    return names


def children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """``node``'s children, in the order libcst visits them."""
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
