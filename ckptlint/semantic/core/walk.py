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
from operator import attrgetter
from typing import Callable, Collection, Dict, Iterator, List, Tuple, Type

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


def children_but(skipped: Collection[type]) -> Callable[[cst.CSTNode], List[cst.CSTNode]]:
    """A function giving a node's children (as `children` lists them) but those of the
    ``skipped`` node types, as a list, made for hot loops: each node type's fields are read by one
    `attrgetter` call, and a value's type is looked up once in a table of what it is (a node to
    keep, a sequence, anything else)."""
    kinds: Dict[type, str] = dict.fromkeys(skipped, _OTHER)
    getters: Dict[type, Callable[[cst.CSTNode], tuple]] = {}

    def listed(node: cst.CSTNode) -> List[cst.CSTNode]:
        getter = getters.get(type(node))
        if getter is None:
            getter = getters[type(node)] = _fields_getter(child_fields(type(node)))
        found: List[cst.CSTNode] = []
        for value in getter(node):
            kind = kinds.get(type(value))
            if kind is None:
                kind = kinds[type(value)] = _classify(type(value))
            if kind is _NODE:
                found.append(value)
            elif kind is _SEQUENCE:
                for item in value:
                    item_kind = kinds.get(type(item))
                    if item_kind is None:
                        item_kind = kinds[type(item)] = _classify(type(item))
                    if item_kind is _NODE:
                        found.append(item)
        return found

    return listed


def _fields_getter(names: Tuple[str, ...]) -> Callable[[cst.CSTNode], tuple]:
    """The values of the fields ``names`` of a node, as a tuple, in one call."""
    if not names:
        return lambda node: ()
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda node: (one(node),)
    return attrgetter(*names)


_NODE, _SEQUENCE, _OTHER = "node", "sequence", "other"


def _classify(value_type: type) -> str:
    # By the class's own bases: `issubclass` on libcst's abstract `CSTNode` first asks each of its
    # ~250 subclasses about a type that is not a node (a string, None): ~1.3 ms of a run.
    if cst.CSTNode in value_type.__mro__:
        return _NODE
    if issubclass(value_type, (tuple, list)):
        return _SEQUENCE
    return _OTHER


# ``node``'s children, in the order libcst visits them, as a list.
child_list = children_but(())
