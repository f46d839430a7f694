"""Which assignment a name means at a use: statement order, one ambiguity policy.

The catalog's "Names": within a function, a name means the last assignment
before the use that every path passes through. An assignment under an `if`,
a loop, a `try` or a `match` that the use does not sit in is branch-dependent:
the binding is ambiguous and `reaching` returns None, so rules stay silent.
`self.x` attributes are collected per class, for every method of the class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Mapping, Optional, Sequence, Set, Tuple, Union

import libcst as cst

from ckptlint.semantic.walk import visit_tree

Scope = Union[cst.FunctionDef, cst.Module]


@dataclass(frozen=True, eq=False)
class Binding:
    """One assignment of a name (or `self.x`)."""

    name: str
    value: Optional[cst.BaseExpression]  # None for forms without one value (`for x`, `a, b = ...`, imports)
    node: cst.CSTNode  # the statement, parameter or `with` item that binds it
    annotation: Optional[cst.BaseExpression] = None
    is_parameter: bool = False


class _Ambiguous:
    pass


AMBIGUOUS = _Ambiguous()
State = Union[None, Binding, _Ambiguous]

_NESTED_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


class _AssignedNames(cst.CSTVisitor):
    """Names a statement binds, not counting nested scopes (whose own names stay inside)."""

    def __init__(self, root: cst.CSTNode) -> None:
        self.root = root
        self.names: Set[str] = set()
        self.globals: Set[str] = set()

    def _add_target(self, target: cst.CSTNode) -> None:
        if isinstance(target, cst.Name):
            self.names.add(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._add_target(element.value)
        elif isinstance(target, cst.StarredElement):
            self._add_target(target.value)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        if node is not self.root:
            self.names.add(node.name.value)
            return False
        return True

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.names.add(node.name.value)
        return node is self.root

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_ListComp(self, node: cst.ListComp) -> bool:
        return False

    def visit_SetComp(self, node: cst.SetComp) -> bool:
        return False

    def visit_DictComp(self, node: cst.DictComp) -> bool:
        return False

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> bool:
        return False

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._add_target(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._add_target(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._add_target(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._add_target(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        self._add_target(node.name)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._add_target(node.target)

    def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
        if node.asname is None:
            name = node.name
            while isinstance(name, cst.Attribute):
                name = name.value
            if isinstance(name, cst.Name):
                self.names.add(name.value)

    def visit_Global(self, node: cst.Global) -> None:
        self.globals.update(n.name.value for n in node.names)


class Bindings:
    """Reaching bindings of names, and `self.x` bindings per class."""

    def __init__(self, module: cst.Module, parents: Mapping[cst.CSTNode, cst.CSTNode]) -> None:
        self._module = module
        self._parents = parents
        self._assigned: Dict[int, Tuple[FrozenSet[str], FrozenSet[str]]] = {}
        self._globals: Dict[str, State] = {}  # a module-level name seen from a function: one answer per name
        # Per name, the state before each top-level statement (and after the last): a name
        # read in a hundred functions walks the module body once, not a hundred times.
        self._module_prefixes: Dict[str, List[State]] = {}
        self._attributes: Dict[int, Dict[str, List[Binding]]] = {}

    # -- structure ---------------------------------------------------------
    def enclosing_function(self, node: cst.CSTNode) -> Optional[cst.FunctionDef]:
        current = self._parents.get(node)
        while current is not None:
            if isinstance(current, cst.FunctionDef):
                return current
            current = self._parents.get(current)
        return None

    def enclosing_class(self, function: cst.FunctionDef) -> Optional[cst.ClassDef]:
        """The class ``function`` is a method of (its direct parent block)."""
        current = self._parents.get(function)
        while current is not None and not isinstance(current, (cst.ClassDef, cst.FunctionDef, cst.Module)):
            current = self._parents.get(current)
        return current if isinstance(current, cst.ClassDef) else None

    def assigned_names(self, node: cst.CSTNode) -> FrozenSet[str]:
        """Every name ``node`` binds in its own scope (a function: its locals)."""
        return self._assigned_info(node)[0]

    def _assigned_info(self, node: cst.CSTNode) -> Tuple[FrozenSet[str], FrozenSet[str]]:
        key = id(node)
        if key not in self._assigned:
            visitor = _AssignedNames(node)
            if isinstance(node, cst.FunctionDef):
                visit_tree(node.body, visitor)
            else:
                visit_tree(node, visitor)
            self._assigned[key] = (frozenset(visitor.names), frozenset(visitor.globals))
        return self._assigned[key]

    def local_names(self, function: cst.FunctionDef) -> FrozenSet[str]:
        names, declared_global = self._assigned_info(function)
        return (names | frozenset(p.name.value for p in _parameters(function))) - declared_global

    def module_names(self) -> FrozenSet[str]:
        return self.assigned_names(self._module)

    # -- reaching bindings -------------------------------------------------
    def reaching(self, name: str, at: cst.CSTNode) -> Optional[Binding]:
        """The binding of ``name`` that reaches ``at``; None when unknown or ambiguous."""
        function = self.enclosing_function(at)
        while function is not None and name not in self.local_names(function):
            at, function = function, self.enclosing_function(function)
        if function is None:
            if self.enclosing_function(at) is None and not self._inside_class_body(at):
                state = self._walk_module(name, at)
            else:
                state = self._global(name)
            return state if isinstance(state, Binding) else None
        initial: State = None
        for parameter in _parameters(function):
            if parameter.name.value == name:
                annotation = parameter.annotation.annotation if parameter.annotation else None
                initial = Binding(name, None, parameter, annotation, is_parameter=True)
        state = self._walk(function.body.body, name, at, self._ancestors(at), initial)
        return state if isinstance(state, Binding) else None

    def _walk_module(self, name: str, at: cst.CSTNode) -> State:
        """``_walk(module.body, name, at, ...)`` from the cached states before each statement."""
        path = self._ancestors(at)
        prefix = self._module_prefix(name)
        for index, statement in enumerate(self._module.body):
            if id(statement) in path:
                return self._descend(statement, name, at, path, prefix[index])
        return prefix[-1]

    def _module_prefix(self, name: str) -> List[State]:
        if name not in self._module_prefixes:
            states: List[State] = [None]
            for statement in self._module.body:
                states.append(self._apply(statement, name, states[-1]))
            self._module_prefixes[name] = states
        return self._module_prefixes[name]

    def _inside_class_body(self, node: cst.CSTNode) -> bool:
        current = self._parents.get(node)
        while current is not None:
            if isinstance(current, cst.ClassDef):
                return True
            current = self._parents.get(current)
        return False

    def _global(self, name: str) -> State:
        """A module-level name used inside a function: one unconditional assignment, or unknown."""
        if name not in self._globals:
            self._globals[name] = self._global_uncached(name)
        return self._globals[name]

    def _global_uncached(self, name: str) -> State:
        found: List[State] = []
        for statement in self._module.body:
            if name in self.assigned_names(statement):
                state = self._apply(statement, name, None)
                found.append(state)
        if len(found) == 1:
            return found[0]
        return AMBIGUOUS if found else None

    def _ancestors(self, node: cst.CSTNode) -> Set[int]:
        ids = set()
        current: Optional[cst.CSTNode] = node
        while current is not None:
            ids.add(id(current))
            current = self._parents.get(current)
        return ids

    def _walk(self, body: Sequence[cst.CSTNode], name: str, at: cst.CSTNode, path: Set[int], state: State) -> State:
        for statement in body:
            if id(statement) in path:
                return self._descend(statement, name, at, path, state)
            state = self._apply(statement, name, state)
        return state

    def _apply(self, statement: cst.CSTNode, name: str, state: State) -> State:
        """The state after ``statement`` runs, for a use that follows it."""
        if name not in self.assigned_names(statement):
            return state
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                state = self._apply_small(small, name, state, statement)
            return state
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            return Binding(name, None, statement)
        if isinstance(statement, cst.With):
            for item in statement.items:
                if item.asname is not None and isinstance(item.asname.name, cst.Name) and item.asname.name.value == name:
                    state = Binding(name, item.item, item)
            return self._walk(statement.body.body, name, statement, set(), state)
        return AMBIGUOUS  # if / for / while / try / match: depends on a branch

    def _apply_small(self, small: cst.CSTNode, name: str, state: State, statement: cst.CSTNode) -> State:
        if name not in self.assigned_names(small):
            return state
        if isinstance(small, cst.Assign):
            for target in small.targets:
                if isinstance(target.target, cst.Name) and target.target.value == name:
                    state = Binding(name, small.value, statement)
                elif name in self.assigned_names(target):
                    state = Binding(name, None, statement)
            return state
        if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
            return Binding(name, small.value, statement, small.annotation.annotation)
        return Binding(name, None, statement)

    def _descend(self, statement: cst.CSTNode, name: str, at: cst.CSTNode, path: Set[int], state: State) -> State:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if id(small) in path:
                    return state
                state = self._apply_small(small, name, state, statement)
            return state
        if isinstance(statement, cst.If):
            if id(statement.body) in path:
                return self._walk(statement.body.body, name, at, path, state)
            orelse = statement.orelse
            if isinstance(orelse, cst.If):
                return self._descend(orelse, name, at, path, state)
            if isinstance(orelse, cst.Else) and id(orelse) in path:
                return self._walk(orelse.body.body, name, at, path, state)
            return state
        if isinstance(statement, (cst.For, cst.While)):
            if id(statement.body) in path:
                if isinstance(statement, cst.For) and name in self.assigned_names(statement.target):
                    state = Binding(name, None, statement)
                body = statement.body.body
                inside = next(i for i, s in enumerate(body) if id(s) in path)
                later = body[inside + 1 :]
                # An assignment later in the loop body reaches the use on the next iteration.
                if any(name in self.assigned_names(s) for s in later):
                    return AMBIGUOUS
                return self._walk(body, name, at, path, state)
            if statement.orelse is not None and id(statement.orelse) in path:
                if name in self.assigned_names(statement.body):
                    return AMBIGUOUS
                return self._walk(statement.orelse.body.body, name, at, path, state)
            return state
        if isinstance(statement, cst.With):
            if id(statement.body) in path:
                for item in statement.items:
                    if item.asname is not None and isinstance(item.asname.name, cst.Name) and item.asname.name.value == name:
                        state = Binding(name, item.item, item)
                return self._walk(statement.body.body, name, at, path, state)
            return state
        if isinstance(statement, cst.Try):
            if id(statement.body) in path:
                return self._walk(statement.body.body, name, at, path, state)
            if name in self.assigned_names(statement.body):
                return AMBIGUOUS
            for block in [*statement.handlers, statement.orelse, statement.finalbody]:
                if block is not None and id(block) in path:
                    return self._walk(block.body.body, name, at, path, state)
            return state
        if isinstance(statement, cst.Match):
            for case in statement.cases:
                if id(case) in path:
                    return self._walk(case.body.body, name, at, path, state)
            return state
        return state  # `at` is in a nested def/class header or decorator: the state before it

    # -- self.x ------------------------------------------------------------
    def attribute_bindings(self, class_def: cst.ClassDef, attribute: str) -> Tuple[Binding, ...]:
        """Every `self.<attribute> = value` in the methods of ``class_def``."""
        key = id(class_def)
        if key not in self._attributes:
            table: Dict[str, List[Binding]] = {}
            for statement in class_def.body.body:
                if isinstance(statement, cst.FunctionDef):
                    params = _parameters(statement)
                    if params:
                        collector = _SelfAssignments(params[0].name.value)
                        visit_tree(statement.body, collector)
                        for attr, binding in collector.found:
                            table.setdefault(attr, []).append(binding)
            self._attributes[key] = table
        return tuple(self._attributes[key].get(attribute, ()))

    def attributes(self, class_def: cst.ClassDef) -> FrozenSet[str]:
        self.attribute_bindings(class_def, "")
        return frozenset(self._attributes[id(class_def)])


class _SelfAssignments(cst.CSTVisitor):
    def __init__(self, self_name: str) -> None:
        self.self_name = self_name
        self.found: List[Tuple[str, Binding]] = []
        self._statement: Optional[cst.CSTNode] = None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # a nested function's `self` may be another object

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self._statement = node

    def _record(self, target: cst.CSTNode, value: Optional[cst.BaseExpression], annotation=None) -> None:
        if (
            isinstance(target, cst.Attribute)
            and isinstance(target.value, cst.Name)
            and target.value.value == self.self_name
        ):
            attr = target.attr.value
            self.found.append((attr, Binding(f"{self.self_name}.{attr}", value, self._statement or target, annotation)))

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._record(target.target, node.value)
            if isinstance(target.target, (cst.Tuple, cst.List)):
                for element in target.target.elements:
                    self._record(element.value, None)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._record(node.target, node.value, node.annotation.annotation)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._record(node.target, None)


def _parameters(function: cst.FunctionDef) -> List[cst.Param]:
    params = function.params
    found = [*params.posonly_params, *params.params, *params.kwonly_params]
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            found.append(star)
    return found


def parameters(function: cst.FunctionDef) -> List[cst.Param]:
    """The parameters of ``function``, in order (positional first)."""
    return _parameters(function)
