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
from typing import Dict, Iterator, Tuple, Type

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

