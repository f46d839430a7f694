"""The call graph of one module: which function a call runs, and who calls each function.

One policy for "which function does this call reach", used by every fact:
- `f(...)` where `f` resolves (scopes) to exactly one `def` of the file: that
  function, nested functions included; to one `class`: the class (its
  `__init__` receives the arguments);
- `self.m(...)` / `cls.m(...)` in a method: `m` of the method's class or of
  its same-file bases, in method resolution order; `super().m(...)`: the
  bases only;
- `obj.m(...)` where `obj` is bound to an instance of a same-file class
  (`trainer = Trainer(...)`, `self.x = Trainer(...)` in every assignment of
  the class, or a parameter annotated `trainer: Trainer`): that class's `m`.
Anything else (a callable passed around, a name bound twice, an import) has
no target here: unknown, and the facts that need it stay silent.

Arguments bind to parameters as Python binds them (positional, keyword,
defaults; the bound `self` skipped); a `*args`/`**kwargs` at the call makes
the parameters it may fill unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Dict, List, Optional, Set, Tuple, Union

import libcst as cst

from ckptlint.semantic.core.bindings import Bindings
from ckptlint.semantic.core.scopes import DEFINITION, Scopes
from ckptlint.semantic.core.tree import Tree, parameters

Target = Union[cst.FunctionDef, cst.ClassDef]


@dataclass(frozen=True)
class BoundCall:
    """The arguments of one call, by the parameter names of the function it runs."""

    arguments: Dict[str, cst.BaseExpression]  # given at the call
    defaults: Dict[str, cst.BaseExpression]  # parameters left to their default value
    unknown: bool  # a `*args` / `**kwargs` may supply parameters not listed

    def value(self, parameter: str) -> Optional[cst.BaseExpression]:
        """The argument (or default) bound to ``parameter``; None when not known."""
        found = self.arguments.get(parameter)
        if found is None and not self.unknown:
            found = self.defaults.get(parameter)
        return found


class CallGraph:
    def __init__(self, tree: Tree, scopes: Scopes, bindings: Bindings) -> None:
        self._tree = tree
        self._scopes = scopes
        self._bindings = bindings
        self._targets: Dict[int, Optional[Target]] = {}
        self._mro: Dict[int, Tuple[cst.ClassDef, ...]] = {}
        self._returns: Dict[int, Tuple[Optional[cst.BaseExpression], ...]] = {}

    # -- definitions -------------------------------------------------------
    def definition(self, name: cst.Name) -> Optional[Target]:
        """The one `def`/`class` of this file that the variable ``name`` is bound to."""
        _, found = self._scopes.lookup(name)
        if len(found) == 1 and found[0].kind == DEFINITION:
            return found[0].node  # type: ignore[return-value]
        return None

    def bases(self, class_def: cst.ClassDef) -> Tuple[cst.ClassDef, ...]:
        """Same-file classes ``class_def`` derives from, in method resolution order (itself first)."""
        key = id(class_def)
        if key not in self._mro:
            self._mro[key] = (class_def,)  # guards against cyclic bases
            order: List[cst.ClassDef] = [class_def]
            for base in class_def.bases:
                if isinstance(base.value, cst.Name):
                    found = self.definition(base.value)
                    if isinstance(found, cst.ClassDef):
                        order.extend(c for c in self.bases(found) if c not in order)
            self._mro[key] = tuple(order)
        return self._mro[key]

    def method(self, class_def: cst.ClassDef, name: str, skip_own: bool = False) -> Optional[cst.FunctionDef]:
        """The method ``name`` of ``class_def`` or of its same-file bases."""
        for owner in self.bases(class_def)[1 if skip_own else 0 :]:
            for statement in owner.body.body:
                if isinstance(statement, cst.FunctionDef) and statement.name.value == name:
                    return statement
        return None

    def property_method(self, class_def: cst.ClassDef, name: str) -> Optional[cst.FunctionDef]:
        """The method ``name`` of ``class_def`` or of its same-file bases, when it is a `@property`:
        reading `self.<name>` runs it."""
        method = self.method(class_def, name)
        return method if method is not None and "property" in _decorator_names(method) else None

    def property_attribute(self, class_def: cst.ClassDef, name: str) -> Optional[str]:
        """The `self.x` attribute that every return of the property ``name`` returns
        (`def optimizer(self): ...; return self._optimizer`), if one."""
        method = self.property_method(class_def, name)
        self_name = self.self_name(method) if method is not None else None
        returned = {
            value.attr.value if isinstance(value, cst.Attribute) and isinstance(value.value, cst.Name) and value.value.value == self_name else None
            for value in (self.returns(method) if method is not None else ())
        }
        return next(iter(returned)) if len(returned) == 1 else None

    def self_name(self, function: cst.FunctionDef) -> Optional[str]:
        """The name of a method's `self` (or `cls`); None for a function or a static method."""
        if self._tree.class_of(function) is None or _is_static(function):
            return None
        params = parameters(function)
        return params[0].name.value if params and not params[0].star else None

    # -- targets -----------------------------------------------------------
    def target(self, call: cst.Call) -> Optional[Target]:
        """The same-file function or class that ``call`` runs."""
        key = id(call)
        if key not in self._targets:
            self._targets[key] = None  # a target that depends on itself (`self.x = self.x.f()`) is unknown
            self._targets[key] = self._compute_target(call)
        return self._targets[key]

    def function_of(self, call: cst.Call) -> Optional[cst.FunctionDef]:
        """The function whose body ``call`` runs: the target, or a class's `__init__`."""
        target = self.target(call)
        if isinstance(target, cst.ClassDef):
            return self.method(target, "__init__")
        return target

    def _compute_target(self, call: cst.Call) -> Optional[Target]:
        func = call.func
        if isinstance(func, cst.Name):
            return self.definition(func)
        if not isinstance(func, cst.Attribute):
            return None
        receiver, name = func.value, func.attr.value
        if is_super(receiver):
            class_def = self._tree.enclosing(call, (cst.ClassDef,))
            return self.method(class_def, name, skip_own=True) if isinstance(class_def, cst.ClassDef) else None
        class_def = self.instance_class(receiver)
        if class_def is not None:
            return self.method(class_def, name)
        if isinstance(receiver, cst.Name):
            owner = self.definition(receiver)
            if isinstance(owner, cst.ClassDef):
                return self.method(owner, name)  # `Cls.static_or_class_method()`
        return None

    def instance_class(self, expr: cst.BaseExpression, _depth: int = 0) -> Optional[cst.ClassDef]:
        """The same-file class ``expr`` is an instance of: a method's `self`, or a name or
        `self.x` bound to `Cls(...)` (every assignment of `self.x` in the class agreeing)."""
        if _depth > 3:
            return None
        if isinstance(expr, cst.Name):
            binding = self._bindings.reaching(expr.value, expr)
            if binding is None:
                return None
            if binding.is_parameter:
                function = self._tree.parent(self._tree.parent(binding.node))
                if isinstance(function, cst.FunctionDef) and self.self_name(function) == expr.value:
                    return self._tree.class_of(function)
                return self._annotated(binding.annotation)
            return self._constructed(binding.value)
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
            owner = self.instance_class(expr.value, _depth + 1)
            if owner is None:
                return None
            values = [
                b.value
                for c in self.bases(owner)
                for b in self._bindings.attribute_bindings(c, expr.attr.value)
                if not _is_none(b.value)
            ]
            classes = [self._constructed(v) for v in values]
            if classes and all(c is not None for c in classes) and len({id(c) for c in classes}) == 1:
                return classes[0]
        return None

    def _annotated(self, annotation: Optional[cst.BaseExpression]) -> Optional[cst.ClassDef]:
        """The same-file class a parameter is annotated with (`state: CheckpointState`)."""
        if isinstance(annotation, cst.Name):
            found = self.definition(annotation)
            return found if isinstance(found, cst.ClassDef) else None
        return None

    def _constructed(self, value: Optional[cst.BaseExpression]) -> Optional[cst.ClassDef]:
        if isinstance(value, cst.Call):
            target = self.target(value)
            return target if isinstance(target, cst.ClassDef) else None
        return None

    # -- callers -------------------------------------------------------------
    @cached_property
    def _callers(self) -> Dict[int, List[cst.Call]]:
        table: Dict[int, List[cst.Call]] = {}
        for call in self._tree.nodes(cst.Call):
            function = self.function_of(call)
            if function is not None:
                table.setdefault(id(function), []).append(call)
        return table

    def callers(self, function: cst.FunctionDef) -> Tuple[cst.Call, ...]:
        """Every call in this file that runs ``function`` (a class's calls run its `__init__`)."""
        return tuple(self._callers.get(id(function), ()))

    def is_referenced(self, function: cst.FunctionDef) -> bool:
        """``function`` is called or its name is read somewhere (passed as a callback, stored)."""
        if self.callers(function):
            return True
        scope = self._scopes.scope_at(function)
        return bool(self._scopes.reads_of(scope, function.name.value))

    def reaches(self, seeds: Set[int]) -> Set[int]:
        """The ids of the functions that run one of ``seeds`` (function ids), directly or through
        calls of same-file functions, to a fixed point (``seeds`` included)."""
        return _fixed_point(seeds, self._edges[0])

    def run_by(self, function: cst.FunctionDef) -> Set[int]:
        """The ids of the functions that ``function`` runs, directly or through calls of same-file
        functions, to a fixed point (``function`` included): the converse of `reaches`."""
        return _fixed_point({id(function)}, self._edges[1])

    @cached_property
    def _edges(self) -> Tuple[Dict[int, Set[int]], Dict[int, Set[int]]]:
        """By function id: the ids of the functions whose own calls run it, and the ids of the
        same-file functions its own calls run."""
        callers_of: Dict[int, Set[int]] = {}
        callees_of: Dict[int, Set[int]] = {}
        for function_id, calls in self._callers.items():
            for call in calls:
                owner = self._tree.enclosing_function(call)
                if owner is not None:
                    callers_of.setdefault(function_id, set()).add(id(owner))
                    callees_of.setdefault(id(owner), set()).add(function_id)
        return callers_of, callees_of

    # -- arguments and returns ---------------------------------------------
    def bind(self, call: cst.Call, function: Optional[cst.FunctionDef] = None) -> Optional[BoundCall]:
        """``call``'s arguments by the parameters of ``function`` (default: the function it runs)."""
        function = function or self.function_of(call)
        if function is None:
            return None
        params = parameters(function)
        if self._binds_self(call, function):
            params = params[1:]
        positional = [p for p in params if p in (*function.params.posonly_params, *function.params.params)]
        names = {p.name.value for p in params if p.star not in ("*", "**")}
        arguments: Dict[str, cst.BaseExpression] = {}
        unknown = False
        index = 0
        for arg in call.args:
            if arg.star:
                unknown = True
                if arg.star == "*":
                    index = len(positional)  # every later positional is unknown
                continue
            if arg.keyword is not None:
                if arg.keyword.value in names:
                    arguments[arg.keyword.value] = arg.value
            elif index < len(positional):
                arguments[positional[index].name.value] = arg.value
                index += 1
        defaults = {p.name.value: p.default for p in params if p.default is not None and p.name.value not in arguments}
        return BoundCall(arguments, defaults, unknown)

    def _binds_self(self, call: cst.Call, function: cst.FunctionDef) -> bool:
        if self._tree.class_of(function) is None or _is_static(function):
            return False
        if isinstance(call.func, cst.Name):
            return isinstance(self.target(call), cst.ClassDef)  # a constructor call binds `self`
        if isinstance(call.func, cst.Attribute) and isinstance(call.func.value, cst.Name):
            owner = self.definition(call.func.value)
            if isinstance(owner, cst.ClassDef):
                return _is_classmethod(function)  # `Cls.method(obj, ...)` passes `self` explicitly
        return True

    def returns(self, function: cst.FunctionDef) -> Tuple[Optional[cst.BaseExpression], ...]:
        """The values ``function`` returns (None for a bare `return`), not counting nested functions;
        empty when it never returns a value (falling off the end returns None)."""
        key = id(function)
        if key not in self._returns:
            self._returns[key] = tuple(
                r.value
                for r in self._tree.nodes_within(function.body, cst.Return)
                if self._tree.enclosing(r, (cst.FunctionDef, cst.Lambda)) is function
            )
        return self._returns[key]


def _fixed_point(seeds: Set[int], edges: Dict[int, Set[int]]) -> Set[int]:
    """``seeds`` and every id ``edges`` lead to from them, step by step."""
    found = set(seeds)
    frontier = list(seeds)
    while frontier:
        for following in edges.get(frontier.pop(), ()):
            if following not in found:
                found.add(following)
                frontier.append(following)
    return found


def _decorator_names(function: cst.FunctionDef) -> Set[str]:
    names = set()
    for decorator in function.decorators:
        expr = decorator.decorator
        if isinstance(expr, cst.Name):
            names.add(expr.value)
        elif isinstance(expr, cst.Attribute):
            names.add(expr.attr.value)
    return names


def _is_static(function: cst.FunctionDef) -> bool:
    return "staticmethod" in _decorator_names(function)


def _is_classmethod(function: cst.FunctionDef) -> bool:
    return "classmethod" in _decorator_names(function)


def _is_none(value: Optional[cst.BaseExpression]) -> bool:
    return isinstance(value, cst.Name) and value.value == "None"


def is_super(expr: cst.BaseExpression) -> bool:
    """`super()`: the receiver of a call of a base class's method."""
    return isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "super"
