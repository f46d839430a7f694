"""One walk over a module's tree: the structure every fact is built from.

The walk visits every node once (but the layout leaves: `LAYOUT_LEAVES`), in libcst's visit order (which is source
order), and records for each node its parent, its position in that order
(`order`, and `end`, the order of its last descendant, so "is A inside B" is
two comparisons), and the *scope owner* it is evaluated in: the module, a
function, a lambda, a class body or a comprehension, following Python's
rules (a decorator, a default value, an annotation or a class's bases are
evaluated in the enclosing scope; a comprehension's first iterable too).
Nodes are also listed by type, so a fact that needs every `Call` or every
`Assign` reads a list instead of walking the tree again.

Nothing here resolves a name; `scopes.py` builds the scopes from these lists.
"""

from __future__ import annotations

import bisect
from array import array
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Type, TypeVar, Union

import libcst as cst

from ckptlint.semantic.core.walk import child_fields, children, children_but

ScopeOwner = Union[cst.Module, cst.FunctionDef, cst.Lambda, cst.ClassDef, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp]
FunctionNode = Union[cst.FunctionDef, cst.Lambda]
COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
SCOPE_OWNERS = (cst.FunctionDef, cst.Lambda, cst.ClassDef, *COMPREHENSIONS)
# Fields evaluated inside the new scope; every other field of a scope owner is evaluated outside it.
_INNER_FIELDS = {
    cst.FunctionDef: ("body",),
    cst.Lambda: ("body",),
    cst.ClassDef: ("body",),
    cst.ListComp: ("elt", "for_in"),
    cst.SetComp: ("elt", "for_in"),
    cst.GeneratorExp: ("elt", "for_in"),
    cst.DictComp: ("key", "value", "for_in"),
}
N = TypeVar("N", bound=cst.CSTNode)
_UNKNOWN = object()
# Leaves that only hold layout: no name, no comment, no expression. Two in five nodes of a script
# are one of these, and no fact asks for their parent or position (a comment sits in an
# `EmptyLine` or a `TrailingWhitespace`, which the walk keeps), so the walk skips them.
LAYOUT_LEAVES = (cst.SimpleWhitespace, cst.Newline)
_structural_children = children_but(LAYOUT_LEAVES)


class Tree:
    """Parents, source order, scope owners and nodes by type, from one walk.

    A node's facts sit at its position in source order (`order`) in three flat lists, not in a dict
    keyed by node each: the lint of one script holds dozens of modules' trees, and four dicts per
    tree took twice the memory of libcst's nodes themselves."""

    def __init__(self, module: cst.Module) -> None:
        self.module = module
        self.order: Dict[cst.CSTNode, int] = {}
        self._parents: List[Optional[cst.CSTNode]] = []  # by order
        self._owners: List[ScopeOwner] = []  # by order
        self._ends = array("i")  # by order: the order of the node's last descendant (`_walk`)
        self._by_type: Dict[type, List[cst.CSTNode]] = {}
        self._block_starts: Dict[int, List[int]] = {}
        self._functions: Dict[cst.CSTNode, Optional[cst.CSTNode]] = {}
        self._walk()

    def _walk(self) -> None:
        order, parents, owners, by_type = self.order, self._parents, self._owners, self._by_type
        add_parent, add_owner = parents.append, owners.append
        parent_at = array("i")  # by order: the order of the node's parent (-1: none)
        add_parent_at = parent_at.append
        counter = 0
        # (node, its parent, the parent's order, its scope owner), in the order they are met
        stack: List[Tuple[cst.CSTNode, Optional[cst.CSTNode], int, ScopeOwner]] = [(self.module, None, -1, self.module)]
        first_iter_owner: Dict[int, ScopeOwner] = {}  # a comprehension's first `for`: its `iter` is outside
        push, pop = stack.append, stack.pop
        while stack:
            node, parent, at, scope = pop()
            order[node] = counter
            add_parent(parent)
            add_parent_at(at)
            add_owner(scope)
            node_type = type(node)
            listed = by_type.get(node_type)
            if listed is None:
                listed = by_type[node_type] = []
            listed.append(node)
            if node_type in _INNER_FIELDS or (node_type is cst.CompFor and id(node) in first_iter_owner):
                for child, child_scope in reversed(list(self._children_with_owner(node, scope, first_iter_owner))):
                    if type(child) not in LAYOUT_LEAVES:
                        push((child, node, counter, child_scope))
            else:  # most nodes: every child in the node's own scope
                for child in reversed(_structural_children(node)):
                    push((child, node, counter, scope))
            counter += 1
        # A node's last descendant: the walk met every node after its parent (`order` is a
        # preorder), so one pass from the last node back carries each end up to the parent.
        ends = self._ends = array("i", range(counter))
        for position in range(counter - 1, 0, -1):
            up = parent_at[position]
            if ends[position] > ends[up]:
                ends[up] = ends[position]

    @staticmethod
    def _children_with_owner(
        node: cst.CSTNode, scope: ScopeOwner, first_iter_owner: Dict[int, ScopeOwner]
    ) -> Iterator[Tuple[cst.CSTNode, ScopeOwner]]:
        inner = _INNER_FIELDS.get(type(node))  # type: ignore[arg-type]
        if inner is None:
            outer_iter = first_iter_owner.pop(id(node), None) if isinstance(node, cst.CompFor) else None
            if outer_iter is None:
                for child in children(node):
                    yield child, scope
                return
            for child in children(node):
                yield child, (outer_iter if child is node.iter else scope)  # type: ignore[attr-defined]
            return
        if isinstance(node, COMPREHENSIONS):
            first_iter_owner[id(node.for_in)] = scope
        for name in child_fields(type(node)):
            child_scope = node if name in inner else scope  # type: ignore[assignment]
            value = getattr(node, name)
            if isinstance(value, cst.CSTNode):
                yield value, child_scope
            elif isinstance(value, (tuple, list)):
                for item in value:
                    if isinstance(item, cst.CSTNode):
                        yield item, child_scope

    # -- nodes by type -----------------------------------------------------
    def nodes(self, *types: Type[N]) -> List[N]:
        """Every node of ``types`` (exact classes), in source order."""
        if len(types) == 1:
            return list(self._by_type.get(types[0], ()))  # type: ignore[arg-type]
        found: List[cst.CSTNode] = [n for t in types for n in self._by_type.get(t, ())]
        found.sort(key=self.order.__getitem__)
        return found  # type: ignore[return-value]

    def nodes_within(self, root: cst.CSTNode, *types: Type[N]) -> List[N]:
        """Every node of ``types`` inside ``root`` (``root`` included), in source order."""
        first = self.order[root]
        last = self._ends[first]
        found: List[cst.CSTNode] = []
        for node_type in types:
            listed = self._by_type.get(node_type, ())
            orders = [self.order[n] for n in listed] if len(listed) < 8 else None
            if orders is None:
                lo = bisect.bisect_left(_OrderView(listed, self.order), first)
                hi = bisect.bisect_right(_OrderView(listed, self.order), last)
                found.extend(listed[lo:hi])
            else:
                found.extend(n for n, o in zip(listed, orders) if first <= o <= last)
        if len(types) > 1:
            found.sort(key=self.order.__getitem__)
        return found  # type: ignore[return-value]

    # -- structure -----------------------------------------------------------
    def parent(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        """The node ``node`` is a child of; None for the module and for a node of another tree."""
        position = self.order.get(node)
        return None if position is None else self._parents[position]

    def end(self, node: cst.CSTNode) -> int:
        """The order of the last node inside ``node`` (``node``'s own when it has no child)."""
        return self._ends[self.order[node]]

    def owner(self, node: cst.CSTNode) -> ScopeOwner:
        """The scope owner ``node`` is evaluated in (KeyError for a node of another tree)."""
        return self._owners[self.order[node]]

    def edges(self) -> Iterator[Tuple[cst.CSTNode, cst.CSTNode]]:
        """Every (child, parent) pair, in source order."""
        parents = self._parents
        for node, position in self.order.items():
            parent = parents[position]
            if parent is not None:
                yield node, parent

    def contains(self, outer: cst.CSTNode, inner: cst.CSTNode) -> bool:
        """``inner`` is ``outer`` or one of its descendants."""
        position = self.order.get(inner)
        if position is None:
            return False
        first = self.order[outer]
        return first <= position <= self._ends[first]

    def before(self, a: cst.CSTNode, b: cst.CSTNode) -> bool:
        """``a`` ends before ``b`` starts (in source order)."""
        return self._ends[self.order[a]] < self.order[b]

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        """The parents of ``node``, nearest first."""
        order, parents = self.order, self._parents
        position = order.get(node)
        while position is not None:
            current = parents[position]
            if current is None:
                return
            yield current
            position = order[current]

    def enclosing(
        self, node: cst.CSTNode, types: Tuple[type, ...], stop: Tuple[type, ...] = ()
    ) -> Optional[cst.CSTNode]:
        """The nearest ancestor of ``types``; None when a ``stop`` ancestor comes first."""
        found, stops = _instances_of(types), _instances_of(stop)
        for ancestor in self.ancestors(node):
            kind = type(ancestor)
            if found.get(kind) or (kind not in found and _learn(found, kind, types)):
                return ancestor
            if stop and (stops.get(kind) or (kind not in stops and _learn(stops, kind, stop))):
                return None
        return None

    def enclosing_function(self, node: cst.CSTNode) -> Optional[cst.FunctionDef]:
        """The nearest `def` around ``node`` (through lambdas, comprehensions and classes)."""
        found = self._functions.get(node, _UNKNOWN)
        if found is _UNKNOWN:
            found = self._functions[node] = self.enclosing(node, (cst.FunctionDef,))
        return found  # type: ignore[return-value]

    def class_of(self, function: cst.FunctionDef) -> Optional[cst.ClassDef]:
        """The class ``function`` is a method of (a `def` directly in the class body)."""
        position = self.order.get(function)
        owner = None if position is None else self._owners[position]
        return owner if isinstance(owner, cst.ClassDef) else None

    def item_access(self, name: cst.Name) -> Optional[str]:
        """How the read ``name`` is subscripted: "read" for an item lookup (`state["model"]`),
        "update" for an augmented assignment of an item (`state["step"] += 1`: the key exists
        already); None when it is not subscripted, or an item is stored, deleted or unpacked into."""
        subscript = self.parent(name)
        if not (isinstance(subscript, cst.Subscript) and subscript.value is name):
            return None
        holder = self.parent(subscript)
        if isinstance(holder, (cst.Element, cst.StarredElement)) and self._unpacked_into(holder):
            return None
        if isinstance(holder, (cst.AssignTarget, cst.Del, cst.AsName)):
            return None  # a store or a deletion
        if isinstance(holder, (cst.AnnAssign, cst.For, cst.CompFor)) and holder.target is subscript:
            return None
        if isinstance(holder, cst.AugAssign) and holder.target is subscript:
            return "update"
        return "read"

    def _unpacked_into(self, element: cst.CSTNode) -> bool:
        """``element`` of a tuple or list is a target that a value is unpacked into."""
        current: cst.CSTNode = element
        parent = self.parent(current)
        while isinstance(parent, (cst.Element, cst.StarredElement, cst.Tuple, cst.List)):
            current, parent = parent, self.parent(parent)
        if isinstance(parent, (cst.AssignTarget, cst.Del)):
            return True
        if isinstance(parent, (cst.For, cst.CompFor)):
            return parent.target is current
        return isinstance(parent, cst.AsName)

    def statement_of(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        """The statement holding ``node``: a simple statement line or a compound statement."""
        current: Optional[cst.CSTNode] = node
        while current is not None and not isinstance(current, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            current = self.parent(current)
        return current

    def index_in_block(self, body: Sequence[cst.CSTNode], node: cst.CSTNode) -> Optional[int]:
        """The index of the statement of ``body`` that holds ``node``, if any."""
        position = self.order.get(node)
        return None if position is None else self.index_at(body, position)

    def index_at(self, body: Sequence[cst.CSTNode], position: int) -> Optional[int]:
        """The index of the statement of ``body`` that holds the node at ``position`` (an order)."""
        if not body:
            return None
        key = id(body)
        starts = self._block_starts.get(key)
        if starts is None or len(starts) != len(body):
            starts = self._block_starts[key] = [self.order[s] for s in body]
        index = bisect.bisect_right(starts, position) - 1
        if index < 0 or position > self._ends[starts[index]]:
            return None
        return index


# For each tuple of node types `Tree.enclosing` is asked about, whether a node type is one of them.
# `isinstance` on libcst's classes goes through `ABCMeta.__instancecheck__`, a Python call, and the
# searches for an enclosing node make a third of a lint's `isinstance` calls: a node's type decides,
# and the answer for a type is learnt the first time it is met.
_INSTANCES: Dict[Tuple[type, ...], Dict[type, bool]] = {}


def _instances_of(types: Tuple[type, ...]) -> Dict[type, bool]:
    """Node type -> whether it is one of ``types``, as learnt so far."""
    known = _INSTANCES.get(types)
    if known is None:
        known = _INSTANCES[types] = {}
    return known


def _learn(known: Dict[type, bool], kind: type, types: Tuple[type, ...]) -> bool:
    known[kind] = issubclass(kind, types)
    return known[kind]


class _OrderView(Sequence[int]):
    """A list of nodes seen as their orders, for `bisect` (the lists are in source order)."""

    def __init__(self, nodes: Sequence[cst.CSTNode], order: Dict[cst.CSTNode, int]) -> None:
        self._nodes = nodes
        self._order = order

    def __len__(self) -> int:
        return len(self._nodes)

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        return self._order[self._nodes[index]]


def parameters(function: FunctionNode) -> List[cst.Param]:
    """The parameters of ``function``, in order (positional first, then `*args`, keyword-only, `**kwargs`)."""
    params = function.params
    found = [*params.posonly_params, *params.params]
    if isinstance(params.star_arg, cst.Param):
        found.append(params.star_arg)
    found.extend(params.kwonly_params)
    if isinstance(params.star_kwarg, cst.Param):
        found.append(params.star_kwarg)
    return found
