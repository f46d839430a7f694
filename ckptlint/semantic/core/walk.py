"""Walking a libcst tree by its nodes' fields, without libcst's visitor machinery.

libcst's visitors rebuild every node they pass through; the model's one
walk (`tree.py`) only reads, so it walks the nodes' fields itself, several
times faster.
A node's children are the `CSTNode` values of its fields, alone or in a
sequence, taken in the order libcst visits them (`visit_order.py`, generated
from libcst's source), so the walk meets the nodes in the order a visitor would
(tests compare parents, calls and comments with libcst's on every sample).
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
    return iter(child_list(node))


def child_list(node: cst.CSTNode) -> List[cst.CSTNode]:
    """``node``'s children, in the order libcst visits them, as a list (the walk's hot path:
    no generator, and `CSTNode`'s abstract-class `isinstance` answered once per value type)."""
    found: List[cst.CSTNode] = []
    for name in child_fields(type(node)):
        value = getattr(node, name)
        kind = _KINDS.get(type(value))
        if kind is None:
            kind = _kind(type(value))
        if kind is _NODE:
            found.append(value)
        elif kind is _SEQUENCE:
            for item in value:
                item_kind = _KINDS.get(type(item))
                if item_kind is None:
                    item_kind = _kind(type(item))
                if item_kind is _NODE:
                    found.append(item)
    return found


_NODE, _SEQUENCE, _OTHER = "node", "sequence", "other"
_KINDS: Dict[type, str] = {}


def _kind(value_type: type) -> str:
    if issubclass(value_type, cst.CSTNode):
        kind = _NODE
    elif issubclass(value_type, (tuple, list)):
        kind = _SEQUENCE
    else:
        kind = _OTHER
    _KINDS[value_type] = kind
    return kind
