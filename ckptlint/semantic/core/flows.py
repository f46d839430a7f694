"""Where a value goes: the uses of an expression's value, followed across names and functions.

The value of an expression is used where it is read. It is followed
- into the variable it is assigned to (`ckpt = torch.load(p)`: every read of
  `ckpt` in its scope),
- out of a function that returns it, into every call of that function in the
  file (`def load(p): return torch.load(p)` then `ckpt = load(p)`),
- into the parameter of a same-file function it is passed to
  (`restore(model, ckpt)`: the reads of that parameter).
A use that is none of these is a *terminal* use: a key read (`x["k"]`,
`x.get("k", d)`), the state argument of `X.load_state_dict(...)`, or anything
else (passed to an unknown function, stored, iterated: the value *escapes*).
A value assigned to a name the function declares `global` or `nonlocal`
escapes too: other functions and modules read it, not all of them here. A
membership test (`"scaler" in ckpt`) only asks for a key: it is no escape.

`holders(expr)` gives the assignment targets that hold a value, across
returns: `loader = DataLoader(...)` then `return loader, sampler` in
`prepare_dataloaders`, and `train_loader, sampler = prepare_dataloaders(args)`
in its caller hold it as `loader` and as `train_loader`.

Backwards, `sources(expr)` says where a value comes from: a name that reads a
parameter of its function, unchanged since the call, has the values every
same-file call binds to that parameter (`self._save_snapshot(epoch)` for
`"EPOCHS_RUN": epoch` in `_save_snapshot(self, epoch)`), followed in turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, List, Optional, Set, Tuple

import libcst as cst

from ckptlint.semantic.core.bindings import Bindings
from ckptlint.semantic.core.callgraph import CallGraph
from ckptlint.semantic.core.scopes import Scopes
from ckptlint.semantic.core.syntax import string_value
from ckptlint.semantic.core.tree import Tree

_MAX_DEPTH = 4  # functions followed through: returns and parameters


@dataclass(frozen=True, eq=False)
class KeyRead:
    key: str
    node: cst.BaseExpression  # `x["k"]` or `x.get("k", ...)`


@dataclass(frozen=True, eq=False)
class Restore:
    call: cst.Call  # `X.load_state_dict(...)`
    receiver: cst.BaseExpression  # `X`
    key: Optional[str]  # the key read from the value, None when the whole value is passed


@dataclass(frozen=True, eq=False)
class ValueUses:
    """What happens to one value (a `torch.load` result, for the resume facts)."""

    variable: Optional[str]  # the name it is first assigned to, if any
    reads: Tuple[KeyRead, ...]
    restores: Tuple[Restore, ...]
    escapes: bool  # used some other way too (passed whole, stored, iterated...)


class Flows:
    def __init__(self, tree: Tree, scopes: Scopes, bindings: Bindings, callgraph: CallGraph) -> None:
        self._tree = tree
        self._scopes = scopes
        self._bindings = bindings
        self._callgraph = callgraph

    # -- following a value ---------------------------------------------------
    def terminal_uses(self, expr: cst.BaseExpression, depth: int = 0) -> Iterator[cst.BaseExpression]:
        """The places ``expr``'s value ends up being used (see the module docstring)."""
        return self._terminal_uses(expr, depth, set())

    def _terminal_uses(self, expr: cst.BaseExpression, depth: int, seen: Set[int]) -> Iterator[cst.BaseExpression]:
        if id(expr) in seen:
            return  # reached again through names that hold each other (`y = x` ... `x = y`): followed once
        seen.add(id(expr))
        parent = self._tree.parent(expr)
        target = _single_name_target(parent, expr)
        if target is not None and self._published(target):
            yield expr
            return
        if target is not None:
            for read in self._reads(target):
                yield from self._terminal_uses(read, depth, seen)
            return
        if isinstance(parent, cst.Return) and depth < _MAX_DEPTH:
            function = self._tree.enclosing(parent, (cst.FunctionDef, cst.Lambda))
            callers = self._callgraph.callers(function) if isinstance(function, cst.FunctionDef) else ()
            if callers:
                for call in callers:
                    yield from self._terminal_uses(call, depth + 1, seen)
                return
        parameter = self._parameter_receiving(expr, parent) if depth < _MAX_DEPTH else None
        if parameter is not None:
            function, name = parameter
            reads = self._scopes.reads_of(self._scopes.scope_of_owner(function), name)
            for read in reads:
                yield from self._terminal_uses(read, depth + 1, seen)
            return
        yield expr

    def _published(self, target: cst.Name) -> bool:
        """`global x` / `nonlocal x` in the target's scope: its readers are not all in view."""
        scope = self._scopes.scope_at(target)
        return target.value in scope.declared_global or target.value in scope.declared_nonlocal

    def _reads(self, target: cst.Name) -> List[cst.Name]:
        scope, _ = self._scopes.lookup(target)
        return self._scopes.reads_of(scope, target.value) if scope is not None else []

    def _parameter_receiving(
        self, expr: cst.BaseExpression, parent: Optional[cst.CSTNode]
    ) -> Optional[Tuple[cst.FunctionDef, str]]:
        """The same-file function and parameter that ``expr`` is passed to as an argument."""
        if not isinstance(parent, cst.Arg) or parent.star:
            return None
        call = self._tree.parent(parent)
        if not isinstance(call, cst.Call):
            return None
        function = self._callgraph.function_of(call)
        bound = self._callgraph.bind(call, function) if function is not None else None
        if bound is None:
            return None
        for name, value in bound.arguments.items():
            if value is expr:
                return function, name  # type: ignore[return-value]
        return None

    def holders(self, expr: cst.BaseExpression, depth: int = 0) -> Tuple[cst.BaseExpression, ...]:
        """The assignment targets (names, attributes) that hold ``expr``'s value: the target of
        `x = expr`, and where the value is returned (alone, or as an element of a returned tuple),
        the targets every same-file call's result is assigned (or unpacked, position for position)
        to, followed in turn."""
        parent = self._tree.parent(expr)
        target = _single_target(parent, expr)
        if target is not None:
            return self._held_by(target, depth)
        return self._returned_to(expr, depth)

    def _held_by(self, target: cst.BaseExpression, depth: int) -> Tuple[cst.BaseExpression, ...]:
        """``target``, and where the value it holds goes when a read of it is returned."""
        found: List[cst.BaseExpression] = [target]
        if isinstance(target, cst.Name):
            for read in self._reads(target):
                found.extend(self._returned_to(read, depth))
        return tuple(found)

    def _returned_to(self, expr: cst.BaseExpression, depth: int) -> Tuple[cst.BaseExpression, ...]:
        """The holders, in the callers, of ``expr`` returned as `return expr` or `return a, expr`."""
        parent = self._tree.parent
        returned, position = expr, None
        element = parent(expr)
        if isinstance(element, cst.Element) and isinstance(parent(element), cst.Tuple):
            returned = parent(element)
            elements = returned.elements  # type: ignore[attr-defined]
            position = elements.index(element)
            if any(isinstance(e, cst.StarredElement) for e in elements[:position]):
                return ()  # `return *a, expr`: its position in the result is not known
        statement = parent(returned)
        if not isinstance(statement, cst.Return) or depth >= _MAX_DEPTH:
            return ()
        function = self._tree.enclosing(statement, (cst.FunctionDef, cst.Lambda))
        if not isinstance(function, cst.FunctionDef):
            return ()
        found: List[cst.BaseExpression] = []
        for call in self._callgraph.callers(function):
            if position is None:
                found.extend(self.holders(call, depth + 1))
                continue
            target = _unpacked_target(parent(call), call, position)
            if target is not None:
                found.extend(self._held_by(target, depth + 1))
        return tuple(found)

    def sources(self, expr: cst.BaseExpression, depth: int = 0) -> Optional[Tuple[cst.BaseExpression, ...]]:
        """The expressions ``expr``'s value comes from: for a name that reads a parameter of its
        function unchanged, the argument (or default) each same-file call binds to it, followed in
        turn; ``expr`` itself otherwise. None when some call's value is unknown (`*args`), or the
        function has no call in the file (its callers are elsewhere)."""
        if not isinstance(expr, cst.Name) or depth >= _MAX_DEPTH:
            return (expr,)
        binding = self._bindings.reaching(expr.value, expr)
        if binding is None or not binding.is_parameter:
            return (expr,)
        function = self._tree.parent(self._tree.parent(binding.node))
        calls = self._callgraph.callers(function) if isinstance(function, cst.FunctionDef) else ()
        if not calls:
            return None
        found: List[cst.BaseExpression] = []
        for call in calls:
            bound = self._callgraph.bind(call, function)  # type: ignore[arg-type]
            value = bound.value(expr.value) if bound is not None else None
            more = self.sources(value, depth + 1) if value is not None else None
            if more is None:
                return None
            found.extend(more)
        return tuple(found)

    # -- what a use is -------------------------------------------------------
    def key_read(self, use: cst.BaseExpression) -> Optional[KeyRead]:
        """``use["k"]`` or ``use.get("k", ...)`` around ``use``."""
        parent = self._tree.parent(use)
        if isinstance(parent, cst.Subscript) and parent.value is use and len(parent.slice) == 1:
            index = parent.slice[0].slice
            key = string_value(index.value) if isinstance(index, cst.Index) else None
            return KeyRead(key, parent) if key is not None else None
        if isinstance(parent, cst.Attribute) and parent.value is use and parent.attr.value == "get":
            call = self._tree.parent(parent)
            if isinstance(call, cst.Call) and call.func is parent and call.args:
                key = string_value(call.args[0].value)
                return KeyRead(key, call) if key is not None else None
        return None

    def restore_by(self, use: cst.BaseExpression) -> Optional[cst.Call]:
        """The `X.load_state_dict(...)` call that ``use`` is the state argument of."""
        arg = self._tree.parent(use)
        if not isinstance(arg, cst.Arg) or arg.star:
            return None
        call = self._tree.parent(arg)
        if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
            return None
        if call.func.attr.value != "load_state_dict":
            return None
        if arg.keyword is not None:
            return call if arg.keyword.value == "state_dict" else None
        return call if call.args[0] is arg else None

    # -- summaries -------------------------------------------------------------
    def uses(self, expr: cst.BaseExpression) -> ValueUses:
        """Key reads, restores and escapes of ``expr``'s value."""
        reads: List[KeyRead] = []
        restores: List[Restore] = []
        escapes = False
        for use in self.terminal_uses(expr):
            read = self.key_read(use)
            if read is not None:
                reads.append(read)
                restores.extend(self._restores_of(read.node, read.key))
                continue
            restore = self.restore_by(use)
            if restore is not None:
                restores.append(Restore(restore, restore.func.value, None))  # type: ignore[attr-defined]
            elif use is not expr and not self._membership_test(use):
                escapes = True
        parent = self._tree.parent(expr)
        target = _single_name_target(parent, expr)
        return ValueUses(target.value if target is not None else None, tuple(reads), tuple(restores), escapes)

    def _membership_test(self, use: cst.BaseExpression) -> bool:
        """``use`` is what `k in use` / `k not in use` looks in."""
        target = self._tree.parent(use)
        return (
            isinstance(target, cst.ComparisonTarget)
            and target.comparator is use
            and isinstance(target.operator, (cst.In, cst.NotIn))
        )

    def _restores_of(self, value: cst.BaseExpression, key: str) -> List[Restore]:
        found = []
        for use in self.terminal_uses(value):
            restore = self.restore_by(use)
            if restore is not None:
                found.append(Restore(restore, restore.func.value, key))  # type: ignore[attr-defined]
        return found

    def only_restores_state(self, expr: cst.BaseExpression) -> bool:
        """Every use of ``expr``'s value (through key reads too) is the state of a `load_state_dict`
        or a membership test (a value nothing reads restores nothing else either)."""
        return self._only_restores_state(expr, set())

    def _only_restores_state(self, expr: cst.BaseExpression, checking: Set[int]) -> bool:
        if id(expr) in checking:
            return True  # `sd = sd["model"]`: the key read's uses are the ones being checked already
        checking.add(id(expr))
        for use in self.terminal_uses(expr):
            if self.restore_by(use) is not None or self._membership_test(use):
                continue
            read = self.key_read(use)
            if read is None or not self._only_restores_state(read.node, checking):
                return False
        return True


def _single_name_target(parent: Optional[cst.CSTNode], value: cst.BaseExpression) -> Optional[cst.Name]:
    """`x` in `x = value` / `x: T = value` (one plain-name target)."""
    target = _single_target(parent, value)
    return target if isinstance(target, cst.Name) else None


def _single_target(parent: Optional[cst.CSTNode], value: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    """`x` in `x = value`, `self.x` in `self.x = value` (one target, a name or an attribute)."""
    if isinstance(parent, cst.Assign) and parent.value is value and len(parent.targets) == 1:
        target = parent.targets[0].target
        return target if isinstance(target, (cst.Name, cst.Attribute)) else None
    if isinstance(parent, cst.AnnAssign) and parent.value is value and isinstance(parent.target, (cst.Name, cst.Attribute)):
        return parent.target
    return None


def _unpacked_target(parent: Optional[cst.CSTNode], value: cst.BaseExpression, position: int) -> Optional[cst.BaseExpression]:
    """The target at ``position`` in `a, b = value` (a name or an attribute; none after a starred one)."""
    if not (isinstance(parent, cst.Assign) and parent.value is value and len(parent.targets) == 1):
        return None
    pattern = parent.targets[0].target
    if not isinstance(pattern, (cst.Tuple, cst.List)) or position >= len(pattern.elements):
        return None
    if any(isinstance(e, cst.StarredElement) for e in pattern.elements[: position + 1]):
        return None
    target = pattern.elements[position].value
    return target if isinstance(target, (cst.Name, cst.Attribute)) else None
