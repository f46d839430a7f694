"""Which assignment a name means at a use: statement order, one ambiguity policy.

The catalog's "Names": within a function, a name means the last assignment
before the use that every path passes through. An assignment under an `if`,
a loop, a `try` or a `match` that the use does not sit in is branch-dependent:
the binding is ambiguous and `reaching` returns None, so rules stay silent.
`candidates` gives the assignments that may reach the use instead (every
branch's), for the facts that accept a branch-dependent name when every
branch agrees (the catalog's "except where every branch gives the same kind").
`self.x` attributes are collected per class, for every method of the class.

Lookups are sparse: the scopes know which nodes bind a name, so a query
visits only the statements that assign that name (found by position in their
block), never every statement of a long function or module. Time grows with
the file, not with its square.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple, Union

import libcst as cst

from ckptlint.semantic.core.scopes import PARAMETER, Scope, Scopes
from ckptlint.semantic.core.tree import Tree, parameters


@dataclass(frozen=True, eq=False)
class Binding:
    """One assignment of a name (or `self.x`)."""

    name: str
    value: Optional[cst.BaseExpression]  # None for forms without one value (`for x`, imports)
    node: cst.CSTNode  # the statement, parameter or `with` item that binds it
    annotation: Optional[cst.BaseExpression] = None
    is_parameter: bool = False
    # `a, b = value`: the whole value and the target's position in it (`a` is 0)
    unpacked_from: Optional[cst.BaseExpression] = None
    position: Optional[int] = None


@dataclass(frozen=True)
class _Merged:
    """Several assignments may reach (branches), and maybe none (a path that assigns nothing)."""

    candidates: Tuple[Binding, ...]
    maybe_unbound: bool


State = Union[None, Binding, _Merged]  # None: nothing assigned yet on this path


def merge(*states: State) -> State:
    """The state after paths that end in ``states`` join."""
    found: Dict[Tuple[int, str, Optional[int]], Binding] = {}
    unbound = False
    for state in states:
        members = state.candidates if isinstance(state, _Merged) else (state,)
        unbound = unbound or state is None or isinstance(state, _Merged) and state.maybe_unbound
        for member in members:
            if member is not None:
                found.setdefault((id(member.node), member.name, member.position), member)
    if len(found) == 1 and not unbound:
        return next(iter(found.values()))
    if not found:
        return None
    return _Merged(tuple(found.values()), unbound)


class Bindings:
    """Reaching bindings of names, and `self.x` bindings per class."""

    def __init__(self, tree: Tree, scopes: Scopes) -> None:
        self._tree = tree
        self._scopes = scopes
        self._orders: Dict[Tuple[int, str], List[int]] = {}  # sorted orders of a scope's own binding nodes
        self._in_block: Dict[Tuple[int, int, str], List[int]] = {}
        self._module_states: Dict[str, List[Tuple[int, State]]] = {}
        # (name, id(use)) -> the state there: facts ask the same use twice or more (whether a path
        # leaves the name unbound, then which binding reaches), once per save for every local.
        self._states: Dict[Tuple[str, int], State] = {}
        self._globals: Dict[str, State] = {}
        self._attributes: Dict[int, Dict[str, List[Binding]]] = {}

    # -- structure ---------------------------------------------------------
    def enclosing_function(self, node: cst.CSTNode) -> Optional[cst.FunctionDef]:
        return self._tree.enclosing_function(node)

    def enclosing_class(self, function: cst.FunctionDef) -> Optional[cst.ClassDef]:
        """The class ``function`` is a method of."""
        return self._tree.class_of(function)

    def _function_scope(self, function: cst.FunctionDef) -> Scope:
        return self._scopes.scope_of_owner(function)

    def local_names(self, function: cst.FunctionDef) -> FrozenSet[str]:
        """The names ``function`` binds itself (its parameters included)."""
        return frozenset(self._function_scope(function).bindings)

    def module_names(self) -> FrozenSet[str]:
        """The names the module's own statements bind (not `global` assignments inside functions)."""
        module = self._scopes.module
        return frozenset(name for name in module.bindings if self._own_orders(module, name))

    def module_values(self, name: str) -> List[cst.BaseExpression]:
        """The values the module's own statements assign to ``name`` (`name = value`, `name: T = value`)."""
        module = self._scopes.module
        values = []
        for binding in module.bindings.get(name, ()):
            target = self._tree.parent(binding.node)
            statement = self._tree.parent(target) if isinstance(target, cst.AssignTarget) else target
            if isinstance(statement, (cst.Assign, cst.AnnAssign)) and statement.value is not None:
                if self._scopes.scope_of_owner(self._tree.owner(binding.node)) is module:
                    values.append(statement.value)
        return values

    # -- where a scope binds a name ----------------------------------------
    def _own_orders(self, scope: Scope, name: str) -> List[int]:
        """Orders of the nodes by which ``scope``'s own code binds ``name`` (parameters excluded)."""
        key = (id(scope), name)
        found = self._orders.get(key)
        if found is None:
            order, owner = self._tree.order, self._tree.owner
            found = sorted(
                order[b.node]
                for b in scope.bindings.get(name, ())
                if b.kind != PARAMETER and self._scopes.scope_of_owner(owner(b.node)) is scope
            )
            self._orders[key] = found
        return found

    def _binds_within(self, node: cst.CSTNode, name: str, scope: Scope) -> bool:
        orders = self._own_orders(scope, name)
        if not orders:
            return False
        first = self._tree.order[node]
        index = bisect.bisect_left(orders, first)
        return index < len(orders) and orders[index] <= self._tree.end(node)

    def _binding_indices(self, body: Sequence[cst.CSTNode], name: str, scope: Scope) -> List[int]:
        """Indices of the statements of ``body`` that bind ``name`` (in ``scope``), ascending."""
        if not body:
            return []
        key = (id(body), id(scope), name)
        found = self._in_block.get(key)
        if found is None:
            tree = self._tree
            first, last = tree.order[body[0]], tree.end(body[-1])
            indices = set()
            for position in self._own_orders(scope, name):
                if first <= position <= last:
                    index = tree.index_at(body, position)
                    if index is not None:
                        indices.add(index)
            found = self._in_block[key] = sorted(indices)
        return found

    # -- reaching bindings -------------------------------------------------
    def reaching(self, name: str, at: cst.CSTNode) -> Optional[Binding]:
        """The binding of ``name`` that reaches ``at``; None when unknown or ambiguous."""
        state = self._state(name, at)
        return state if isinstance(state, Binding) else None

    def candidates(self, name: str, at: cst.CSTNode) -> Tuple[Binding, ...]:
        """Every binding of ``name`` that may reach ``at`` (one per branch); empty when unknown."""
        state = self._state(name, at)
        if isinstance(state, Binding):
            return (state,)
        return state.candidates if isinstance(state, _Merged) else ()

    def maybe_unbound(self, name: str, at: cst.CSTNode) -> bool:
        """Some path to ``at`` assigns ``name`` nothing (`if train: optimizer = ...` before it)."""
        state = self._state(name, at)
        return state is None or isinstance(state, _Merged) and state.maybe_unbound

    def _state(self, name: str, at: cst.CSTNode) -> State:
        key = (name, id(at))
        if key not in self._states:
            self._states[key] = self._state_at(name, at)
        return self._states[key]

    def _state_at(self, name: str, at: cst.CSTNode) -> State:
        function = self.enclosing_function(at)
        while function is not None and name not in self.local_names(function):
            at, function = function, self.enclosing_function(function)
        if function is None:
            if self.enclosing_function(at) is None and self._tree.enclosing(at, (cst.ClassDef,)) is None:
                return self._walk_module(name, at)
            return self._global(name)
        initial: State = None
        for parameter in parameters(function):
            if parameter.name.value == name:
                annotation = parameter.annotation.annotation if parameter.annotation else None
                initial = Binding(name, None, parameter, annotation, is_parameter=True)
        scope = self._function_scope(function)
        return self._walk(function.body.body, name, at, scope, initial)

    def _walk_module(self, name: str, at: cst.CSTNode) -> State:
        """The state at ``at`` from the states after each module statement that binds ``name``."""
        body = self._tree.module.body
        index = self._tree.index_in_block(body, at)
        states = self._module_states_of(name)
        limit = index if index is not None else len(body)
        position = bisect.bisect_left([i for i, _ in states], limit) - 1
        state = states[position][1] if position >= 0 else None
        if index is None:
            return state
        return self._descend(body[index], name, at, self._scopes.module, state)

    def _module_states_of(self, name: str) -> List[Tuple[int, State]]:
        """``(statement index, state after it)`` for each module statement that binds ``name``."""
        states = self._module_states.get(name)
        if states is None:
            module, body = self._scopes.module, self._tree.module.body
            state: State = None
            states = []
            for index in self._binding_indices(body, name, module):
                state = self._apply(body[index], name, state, module)
                states.append((index, state))
            self._module_states[name] = states
        return states

    def _global(self, name: str) -> State:
        """A module-level name used inside a function: one unconditional assignment, or the
        assignments of the module's statements that bind it, merged (ambiguous)."""
        if name not in self._globals:
            module, body = self._scopes.module, self._tree.module.body
            states = [self._apply(body[i], name, None, module) for i in self._binding_indices(body, name, module)]
            self._globals[name] = merge(*states) if states else None
            if len(states) > 1 and isinstance(self._globals[name], Binding):
                self._globals[name] = _Merged((self._globals[name],), True)  # type: ignore[arg-type]
        return self._globals[name]

    def _walk(self, body: Sequence[cst.CSTNode], name: str, at: cst.CSTNode, scope: Scope, state: State) -> State:
        index = self._tree.index_in_block(body, at)
        limit = index if index is not None else len(body)
        for binding_index in self._binding_indices(body, name, scope):
            if binding_index >= limit:
                break
            state = self._apply(body[binding_index], name, state, scope)
        if index is None:
            return state
        return self._descend(body[index], name, at, scope, state)

    def _apply(self, statement: cst.CSTNode, name: str, state: State, scope: Scope) -> State:
        """The state after ``statement`` runs, for a use that follows it."""
        if not self._binds_within(statement, name, scope):
            return state
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                state = self._apply_small(small, name, state, statement, scope)
            return state
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            return Binding(name, None, statement)
        if isinstance(statement, cst.BaseSmallStatement):  # in a one-line suite: `if c: x = 1`
            return self._apply_small(statement, name, state, statement, scope)
        if isinstance(statement, cst.With):
            state = self._with_items(statement, name, state)
            return self._walk(statement.body.body, name, statement, scope, state)
        return self._branches(statement, name, state, scope)

    def _block(self, block: Optional[cst.CSTNode], name: str, scope: Scope, state: State) -> State:
        """The state after running a whole block (an indented body, `else`, handler...)."""
        if block is None:
            return state
        body = block.body.body if not isinstance(block, cst.BaseSuite) else block.body  # type: ignore[attr-defined]
        return self._walk(body, name, block, scope, state)

    def _branches(self, statement: cst.CSTNode, name: str, state: State, scope: Scope) -> State:
        """The state after a compound statement: every path through it, merged."""
        if isinstance(statement, cst.If):
            orelse = statement.orelse
            after_else = (
                self._branches(orelse, name, state, scope) if isinstance(orelse, cst.If) else self._block(orelse, name, scope, state)
            )
            return merge(self._block(statement.body, name, scope, state), after_else)
        if isinstance(statement, (cst.For, cst.While)):
            start = state
            if isinstance(statement, cst.For) and self._binds_within(statement.target, name, scope):
                start = Binding(name, None, statement)
            after = merge(state, self._block(statement.body, name, scope, start))  # zero or more iterations
            return self._block(statement.orelse, name, scope, after)
        if isinstance(statement, (cst.Try, cst.TryStar)):
            after_body = self._block(statement.orelse, name, scope, self._block(statement.body, name, scope, state))
            handlers = [self._block(h, name, scope, merge(state, after_body)) for h in statement.handlers]
            return self._block(statement.finalbody, name, scope, merge(after_body, *handlers))
        if isinstance(statement, cst.Match):
            return merge(state, *(self._block(case, name, scope, state) for case in statement.cases))
        return _Merged((), True)  # a statement form not modelled: unknown

    def _apply_small(self, small: cst.CSTNode, name: str, state: State, statement: cst.CSTNode, scope: Scope) -> State:
        if not self._binds_within(small, name, scope):
            return state
        if isinstance(small, cst.Assign):
            for target in small.targets:
                if isinstance(target.target, cst.Name) and target.target.value == name:
                    state = Binding(name, small.value, statement)
                elif self._binds_within(target, name, scope):
                    position = _position_in(target.target, name)
                    state = Binding(name, None, statement, unpacked_from=small.value, position=position)
            return state
        if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
            return Binding(name, small.value, statement, small.annotation.annotation)
        return Binding(name, None, statement)

    @staticmethod
    def _with_items(statement: cst.With, name: str, state: State) -> State:
        for item in statement.items:
            if item.asname is not None and isinstance(item.asname.name, cst.Name) and item.asname.name.value == name:
                state = Binding(name, item.item, item)
        return state

    def _descend(self, statement: cst.CSTNode, name: str, at: cst.CSTNode, scope: Scope, state: State) -> State:
        tree = self._tree
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if tree.contains(small, at):
                    return state
                state = self._apply_small(small, name, state, statement, scope)
            return state
        if isinstance(statement, cst.If):
            if tree.contains(statement.body, at):
                return self._walk(statement.body.body, name, at, scope, state)
            orelse = statement.orelse
            if isinstance(orelse, cst.If):
                return self._descend(orelse, name, at, scope, state)
            if isinstance(orelse, cst.Else) and tree.contains(orelse, at):
                return self._walk(orelse.body.body, name, at, scope, state)
            return state
        if isinstance(statement, (cst.For, cst.While)):
            rebinds = isinstance(statement, cst.For) and self._binds_within(statement.target, name, scope)
            if tree.contains(statement.body, at):
                if rebinds:
                    start: State = Binding(name, None, statement)
                else:  # what a previous iteration assigned later in the body reaches the use too
                    start = merge(state, self._block(statement.body, name, scope, state))
                return self._walk(statement.body.body, name, at, scope, start)
            if statement.orelse is not None and tree.contains(statement.orelse, at):
                first = Binding(name, None, statement) if rebinds else state
                after = merge(state, self._block(statement.body, name, scope, first))
                return self._walk(statement.orelse.body.body, name, at, scope, after)
            return state
        if isinstance(statement, cst.With):
            if tree.contains(statement.body, at):
                state = self._with_items(statement, name, state)
                return self._walk(statement.body.body, name, at, scope, state)
            return state
        if isinstance(statement, (cst.Try, cst.TryStar)):
            if tree.contains(statement.body, at):
                return self._walk(statement.body.body, name, at, scope, state)
            after_body = self._block(statement.body, name, scope, state)
            if statement.orelse is not None and tree.contains(statement.orelse, at):
                return self._walk(statement.orelse.body.body, name, at, scope, after_body)
            for handler in statement.handlers:
                if tree.contains(handler, at):
                    return self._walk(handler.body.body, name, at, scope, merge(state, after_body))
            if statement.finalbody is not None and tree.contains(statement.finalbody, at):
                after = self._block(statement.orelse, name, scope, after_body)
                handlers = [self._block(h, name, scope, merge(state, after_body)) for h in statement.handlers]
                return self._walk(statement.finalbody.body.body, name, at, scope, merge(state, after, *handlers))
            return state
        if isinstance(statement, cst.Match):
            for case in statement.cases:
                if tree.contains(case, at):
                    return self._walk(case.body.body, name, at, scope, state)
            return state
        return state  # `at` is in a nested def/class header or decorator: the state before it

    # -- self.x ------------------------------------------------------------
    def attribute_bindings(self, class_def: cst.ClassDef, attribute: str) -> Tuple[Binding, ...]:
        """Every `self.<attribute> = value` in the methods of ``class_def``."""
        return tuple(self._attribute_table(class_def).get(attribute, ()))

    def attributes(self, class_def: cst.ClassDef) -> FrozenSet[str]:
        return frozenset(self._attribute_table(class_def))

    def _attribute_table(self, class_def: cst.ClassDef) -> Dict[str, List[Binding]]:
        key = id(class_def)
        table = self._attributes.get(key)
        if table is None:
            table = self._attributes[key] = {}
            tree = self._tree
            for statement in class_def.body.body:
                if not isinstance(statement, cst.FunctionDef):
                    continue
                params = parameters(statement)
                if not params:
                    continue
                self_name = params[0].name.value
                for small in tree.nodes_within(statement.body, cst.Assign, cst.AnnAssign, cst.AugAssign):
                    if tree.enclosing_function(small) is not statement:
                        continue  # a nested function's `self` may be another object
                    line = tree.parent(small)
                    for attr, binding in _self_assignments(small, self_name, line):
                        table.setdefault(attr, []).append(binding)
        return table


def _self_assignments(small: cst.CSTNode, self_name: str, line: Optional[cst.CSTNode]) -> List[Tuple[str, Binding]]:
    found: List[Tuple[str, Binding]] = []

    def record(target: cst.CSTNode, value: Optional[cst.BaseExpression], annotation=None, **unpacked) -> None:  # type: ignore[no-untyped-def]
        if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == self_name:
            attr = target.attr.value
            statement = line if isinstance(line, cst.SimpleStatementLine) else target
            found.append((attr, Binding(f"{self_name}.{attr}", value, statement, annotation, **unpacked)))

    if isinstance(small, cst.Assign):
        for target in small.targets:
            record(target.target, small.value)
            if isinstance(target.target, (cst.Tuple, cst.List)):
                for position, element in enumerate(target.target.elements):
                    record(element.value, None, unpacked_from=small.value, position=position)
    elif isinstance(small, cst.AnnAssign):
        record(small.target, small.value, small.annotation.annotation)
    elif isinstance(small, cst.AugAssign):
        record(small.target, None)
    return found


def _position_in(target: cst.BaseExpression, name: str) -> Optional[int]:
    """`b`'s index in the target `a, b` (None when nested or starred)."""
    if isinstance(target, (cst.Tuple, cst.List)):
        for index, element in enumerate(target.elements):
            if isinstance(element, cst.StarredElement):
                return None
            if isinstance(element.value, cst.Name) and element.value.value == name:
                return index
    return None
