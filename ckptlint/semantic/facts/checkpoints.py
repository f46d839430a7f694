"""What a save writes: the checkpoint dict, its keys and what each value is.

The object saved is read where it is built: a dict literal, `dict(...)`, or
a variable built up in the same function before the save (`ckpt = {}`,
`ckpt["k"] = v`, `ckpt.update({...})`, `ckpt.update(k=v)`), nested dicts
and `**spread` of a literal included, or the dict a same-file function
returns (`state = self.make_checkpoint()`; read there, and offered no fix), or
the dict the one call of the save's function passes for a parameter (`def
fit(state): ... fabric.save(path, state)`; read at that call, through up to
three callers, offered no fix, and left out of the in-scope checks of
102/103/105, since the caller names its objects its own way). A spread (or an
update, or a call that may add keys to the variable) of an unknown mapping
sets `has_unknown_spread`; a save, Fabric's `load` (it restores the keys its
state has) and a same-file function that only reads or updates items of its
parameter add no key.

The catalog's "Training checkpoint": a dict with a `.state_dict()` of a model
among its values, or with an optimizer's `state_dict()` and another object's
`state_dict()` (whatever that object is). A save that converts objects
itself (Fabric's `fabric.save(path, {"model": model, ...})`) counts a model or
optimizer object as its state dict.

For fixes that change what a checkpoint holds (catalog revision 2):
- `counterpart(save, obj, at)`: how the object a save holds (an optimizer in
  scope there) is spelled where the program resumes (``at``), if it exists
  there: the same local (the same assignment reaching both), the same
  `self.x` of the class (built in `__init__`, before ``at`` when ``at`` is in
  `__init__`), the same name of an object of that kind, or, for a name, the
  only object of that kind at both places.
- `unreadable_values(save)`: the values a save writes that
  `torch.load(weights_only=True)` refuses to read back (`weights_only.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Dict, FrozenSet, Iterator, List, Optional, Tuple, Union

import libcst as cst

from ckptlint.semantic.core.bindings import Binding
from ckptlint.semantic.core.module import ModuleCore
from ckptlint.semantic.core.tree import COMPREHENSIONS
from ckptlint.semantic.core.syntax import is_name, is_state_dict_call, reads_key, string_value, subscript_key
from ckptlint.semantic.data import catalog
from ckptlint.semantic.facts.kinds import Kind, ObjectKind, ObjectKinds
from ckptlint.semantic.facts.saves import SaveSite, Saves
from ckptlint.semantic.facts.weights_only import Unreadable, WeightsOnlyValues

Container = Union[cst.Dict, cst.Call]
_MAX_PARAMETER_DEPTH = 3  # callers followed up from a save whose object is a parameter


@dataclass(frozen=True, eq=False)
class Entry:
    """One value of a checkpoint (nested dicts are flattened, keys kept as a path)."""

    path: Tuple[Optional[str], ...]  # literal keys from the top; None where not a literal
    value: cst.BaseExpression
    state_of: Optional[ObjectKind]  # `X.state_dict()` of an object of this kind
    owner: Optional[str]  # the source text of `X` in `X.state_dict()`
    is_rng: bool
    passed: FrozenSet[str]  # source text of names/attributes passed whole to a call in the value,
    # and of every `X.state_dict()` receiver in it (`opt.state_dict() if opt else None`)
    opaque: bool = False  # `[o.state_dict() for o in opts]`: holds state of objects it cannot name

    @property
    def key(self) -> Optional[str]:
        return self.path[-1] if self.path else None


@dataclass(frozen=True, eq=False)
class Checkpoint:
    save: SaveSite
    entries: Tuple[Entry, ...]
    has_unknown_spread: bool
    container: Optional[Container]  # the dict literal / `dict(...)` call a new entry can go into
    variable: Optional[str]  # the name the dict is built up in
    last_assignment: Optional[cst.SimpleStatementLine]  # last unconditional `var["k"] = v` before the save
    through_parameter: bool = False  # built by the caller of the save's function, passed in

    @property
    def keys(self) -> FrozenSet[str]:
        return frozenset(k for e in self.entries for k in e.path if k is not None)

    @property
    def top_keys(self) -> FrozenSet[str]:
        return frozenset(e.path[0] for e in self.entries if e.path and e.path[0] is not None)

    @property
    def is_training(self) -> bool:
        """The catalog's "training checkpoint": model weights, or an optimizer's state next to
        another object's `state_dict()`."""
        if self.holds_state_of_kind(Kind.MODEL):
            return True
        owners = {e.owner for e in self.entries if e.owner is not None}
        return self.holds_state_of_kind(Kind.OPTIMIZER) and len(owners) > 1

    @property
    def is_for_resuming(self) -> bool:
        """A training checkpoint that holds optimizer state: it is meant for resuming (CKPT104, CKPT106)."""
        return self.is_training and self.holds_state_of_kind(Kind.OPTIMIZER)

    def holds_state_of_kind(self, kind: Kind) -> bool:
        return any(e.state_of is not None and e.state_of.kind is kind for e in self.entries)

    def holds(self, owner: str) -> bool:
        """Whether the state of the object spelled ``owner`` is saved (`.state_dict()` or passed to a call)."""
        return any(e.owner == owner or owner in e.passed for e in self.entries)

    @property
    def holds_rng(self) -> bool:
        return any(e.is_rng for e in self.entries)

    def free_key(self, preferred: str, fallback: str) -> Optional[str]:
        """A top-level key for a new entry that is not there yet."""
        for key in (preferred, fallback):
            if key not in self.top_keys:
                return key
        return None


@dataclass(frozen=True)
class ScopedObject:
    """An optimizer / scheduler / scaler in scope at a save."""

    text: str  # how the save's function spells it: `optimizer`, `self.scaler`
    kind: ObjectKind


class Checkpoints:
    def __init__(self, core: ModuleCore, kinds: ObjectKinds, saves: Saves) -> None:
        self._core = core
        self._kinds = kinds
        self._saves = saves
        self._by_save: Dict[int, Optional[Checkpoint]] = {}
        self._names_in_scope: Dict[int, Tuple[Tuple[str, ObjectKind], ...]] = {}
        self._rng_functions: Dict[int, bool] = {}
        self._weights_only = WeightsOnlyValues(core, kinds)

    # -- contents ----------------------------------------------------------
    def of(self, save: SaveSite) -> Optional[Checkpoint]:
        """The dict ``save`` writes, or None when it is not a dict this model can read."""
        key = id(save)
        if key not in self._by_save:
            self._by_save[key] = self._read(save)
        return self._by_save[key]

    def is_dict_builder(self, expr: cst.BaseExpression) -> bool:
        """A dict literal or a `dict(...)` call."""
        return isinstance(expr, cst.Dict) or isinstance(expr, cst.Call) and self._core.qualname(expr.func) == "builtins.dict"

    def _read(self, save: SaveSite) -> Optional[Checkpoint]:
        return self._read_at(save.obj, save.call, save, 0)

    def _read_at(self, obj: Optional[cst.BaseExpression], at: cst.CSTNode, save: SaveSite, depth: int) -> Optional[Checkpoint]:
        """The dict ``obj`` is at ``at`` (the save, or the call that passes it on to the save)."""
        if obj is None:
            return None
        if self.is_dict_builder(obj):
            entries, unknown = self._entries(obj, (), save)
            return Checkpoint(save, tuple(entries), unknown, obj, None, None)  # type: ignore[arg-type]
        if isinstance(obj, cst.Call):
            return self._returned(save, obj)
        if not isinstance(obj, cst.Name):
            return None
        binding = self._core.bindings.reaching(obj.value, at)
        if binding is not None and binding.is_parameter and isinstance(binding.node, cst.Param):
            return self._passed_in(save, obj.value, binding, at, depth)
        if binding is None or binding.value is None:
            return None
        if not self.is_dict_builder(binding.value):
            return self._returned(save, binding.value) if isinstance(binding.value, cst.Call) else None
        built = self._built_up(save, obj.value, binding, at)
        return built if depth == 0 else replace(built, container=None, variable=None, last_assignment=None)

    def _built_up(self, save: SaveSite, variable: str, binding: Binding, at: cst.CSTNode) -> Checkpoint:
        """A dict assigned to ``variable`` and filled in before ``at``."""
        entries, unknown = self._entries(binding.value, (), save)  # type: ignore[arg-type]
        last: Optional[cst.SimpleStatementLine] = None
        block = self._core.parent(binding.node)
        for statement, small in self._statements_between(binding.node, at):
            found = self._mutation(small, variable, save)
            if found is None:
                continue
            more, more_unknown = found
            entries.extend(more)
            unknown = unknown or more_unknown
            if isinstance(small, cst.Assign) and isinstance(statement, cst.SimpleStatementLine) and self._core.parent(statement) is block:
                last = statement
        return Checkpoint(save, tuple(entries), unknown, binding.value, variable, last)  # type: ignore[arg-type]

    def _passed_in(self, save: SaveSite, name: str, param: Binding, at: cst.CSTNode, depth: int) -> Optional[Checkpoint]:
        """A parameter (catalog, "The program": facts travel through parameters): the dict the one
        call of its function in this file passes, read at that call, with what the function adds
        before ``at``. Read in another function, it offers no place for a fix, and what is in scope
        at the save is spelled differently from what the dict holds (`through_parameter`)."""
        function = self._core.tree.enclosing_function(param.node)
        callers = self._core.callgraph.callers(function) if function is not None else ()
        if depth >= _MAX_PARAMETER_DEPTH or len(callers) != 1:
            return None
        bound = self._core.callgraph.bind(callers[0], function)
        argument = bound.value(name) if bound is not None else None
        outer = self._read_at(argument, callers[0], save, depth + 1) if argument is not None else None
        if outer is None:
            return None
        entries, unknown = list(outer.entries), outer.has_unknown_spread
        for _, small in self._statements_between(param.node, at):
            found = self._mutation(small, name, save)
            if found is not None:
                entries.extend(found[0])
                unknown = unknown or found[1]
        return Checkpoint(save, tuple(entries), unknown, None, None, None, through_parameter=True)

    def _returned(self, save: SaveSite, call: cst.Call) -> Optional[Checkpoint]:
        """The dict literal a same-file function returns (its only return); no container for fixes."""
        function = self._core.callgraph.function_of(call)
        returns = self._core.callgraph.returns(function) if function is not None else ()
        if len(returns) != 1 or returns[0] is None:
            return None
        value = returns[0]
        if isinstance(value, cst.Name):
            binding = self._core.bindings.reaching(value.value, value)
            if binding is None or binding.value is None or not self.is_dict_builder(binding.value):
                return None
            built = self._built_up(save, value.value, binding, value)
            return Checkpoint(save, built.entries, built.has_unknown_spread, None, None, None)
        if not self.is_dict_builder(value):
            return None
        entries, unknown = self._entries(value, (), save)
        return Checkpoint(save, tuple(entries), unknown, None, None, None)

    def _statements_between(self, start: cst.CSTNode, end_at: cst.CSTNode) -> Iterator[Tuple[cst.CSTNode, cst.CSTNode]]:
        """Simple statements of ``start``'s scope (not of nested functions or classes) after
        ``start`` and before ``end_at``."""
        tree = self._core.tree
        function = tree.enclosing_function(start)
        begin, end = tree.end(start), tree.order[end_at]
        for line in tree.nodes_within(function or tree.module, cst.SimpleStatementLine):
            if not (begin < tree.order[line] and tree.end(line) < end) or tree.enclosing_function(line) is not function:
                continue
            if tree.enclosing(line, (cst.ClassDef,), stop=(cst.FunctionDef,)) is None:
                for small in line.body:
                    yield line, small

    def _mutation(self, small: cst.CSTNode, name: str, save: SaveSite) -> Optional[Tuple[List[Entry], bool]]:
        """Entries a statement adds to the dict ``name`` (None when it does not touch it)."""
        if isinstance(small, cst.Assign):
            for target in small.targets:
                t = target.target
                if isinstance(t, cst.Subscript) and isinstance(t.value, cst.Name) and t.value.value == name:
                    key = subscript_key(t)
                    if key is None:
                        return [], True
                    return self._entries_for_value((key,), small.value, save), False
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            call = small.value
            func = call.func
            if (
                isinstance(func, cst.Attribute)
                and isinstance(func.value, cst.Name)
                and func.value.value == name
                and func.attr.value == "update"
            ):
                return self._entries(cst.Call(func=cst.Name("dict"), args=call.args), (), save)
        if name in self._names_passed(small):
            return [], True  # handed to a call that may add keys
        return None

    def _entries(
        self, container: cst.BaseExpression, path: Tuple[Optional[str], ...], save: SaveSite
    ) -> Tuple[List[Entry], bool]:
        entries: List[Entry] = []
        unknown = False
        if isinstance(container, cst.Dict):
            for element in container.elements:
                if isinstance(element, cst.StarredDictElement):
                    if isinstance(element.value, cst.Dict):
                        more, more_unknown = self._entries(element.value, path, save)
                        entries.extend(more)
                        unknown = unknown or more_unknown
                    else:
                        unknown = True
                    continue
                key = string_value(element.key)
                entries.extend(self._entries_for_value(path + (key,), element.value, save))
        elif isinstance(container, cst.Call):
            for arg in container.args:
                if arg.star == "**" or arg.star == "*":
                    unknown = True
                elif arg.keyword is not None:
                    entries.extend(self._entries_for_value(path + (arg.keyword.value,), arg.value, save))
                elif isinstance(arg.value, cst.Dict):
                    more, more_unknown = self._entries(arg.value, path, save)
                    entries.extend(more)
                    unknown = unknown or more_unknown
                else:
                    unknown = True
        return entries, unknown

    def _entries_for_value(self, path: Tuple[Optional[str], ...], value: cst.BaseExpression, save: SaveSite) -> List[Entry]:
        if self.is_dict_builder(value):
            nested, _ = self._entries(value, path, save)  # an unknown nested spread hides no top-level key
            return nested
        return [self._entry(path, value, save)]

    def _entry(self, path: Tuple[Optional[str], ...], value: cst.BaseExpression, save: Optional[SaveSite]) -> Entry:
        state_of: Optional[ObjectKind] = None
        owner: Optional[str] = None
        state = self.state_dict_call(value)
        if state is not None:
            receiver = state.func.value  # type: ignore[attr-defined]
            state_of = self._kinds.of(receiver)
            owner = self._core.code(receiver)
        elif save is not None and save.converts_objects and isinstance(value, (cst.Name, cst.Attribute)):
            kind = self._kinds.of(value)
            if kind is not None and kind.kind in (Kind.MODEL, Kind.OPTIMIZER, Kind.SCHEDULER, Kind.SCALER):
                state_of, owner = kind, self._core.code(value)  # Fabric saves the object's state dict
        passed, opaque = self._state_receivers(value)
        return Entry(path, value, state_of, owner, self._is_rng(value), passed, opaque)

    def state_dict_call(self, value: cst.BaseExpression) -> Optional[cst.Call]:
        """`X.state_dict()` itself, or the value of a name bound to one (`sd = model.state_dict()`);
        for a name bound in branches, the first branch's when every branch that takes a state dict
        takes it of the same kind of object (`optimizer.state_dict() if save_optimizer else None`)."""
        if not isinstance(value, cst.Name):
            return value if is_state_dict_call(value) else None  # type: ignore[return-value]
        candidates = [b.value for b in self._core.bindings.candidates(value.value, value) if b.value is not None]
        calls = [c for c in candidates if is_state_dict_call(c)]
        if not calls or any(not is_state_dict_call(c) and not is_name(c, "None") for c in candidates):
            return None
        kinds = {self._kinds.of(c.func.value) for c in calls}  # type: ignore[attr-defined]
        return calls[0] if len(kinds) == 1 else None  # type: ignore[return-value]

    def _state_receivers(self, value: cst.BaseExpression) -> Tuple[FrozenSet[str], bool]:
        """Names and attributes passed whole to a call in ``value`` (`f(optimizer)`, `g(self.opt)`) or
        whose `state_dict()` is taken; opaque when a comprehension takes state dicts."""
        tree = self._core.tree
        found: List[cst.BaseExpression] = []
        opaque = False
        for call in tree.nodes_within(value, cst.Call):
            if is_state_dict_call(call):
                comprehension = tree.enclosing(call, COMPREHENSIONS)
                opaque = opaque or comprehension is not None and tree.contains(value, comprehension)
                receiver = call.func.value  # type: ignore[attr-defined]
                if isinstance(receiver, (cst.Name, cst.Attribute)):
                    found.append(receiver)
        for arg in tree.nodes_within(value, cst.Arg):
            if isinstance(arg.value, (cst.Name, cst.Attribute)):
                found.append(arg.value)
        texts = {self._core.code(node) for node in found}
        texts.update(filter(None, (self._property_target(node) for node in found)))
        return frozenset(texts), opaque

    def _property_target(self, expr: cst.BaseExpression) -> Optional[str]:
        """`self._optimizer` for `self.optimizer` when `optimizer` is a property of the class that
        returns `self._optimizer`: the state of the one is the state of the other."""
        if not (isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name)):
            return None
        function = self._core.tree.enclosing_function(expr)
        class_def = self._core.tree.class_of(function) if function is not None else None
        if class_def is None or self._core.callgraph.self_name(function) != expr.value.value:  # type: ignore[arg-type]
            return None
        target = self._core.callgraph.property_attribute(class_def, expr.attr.value)
        return f"{expr.value.value}.{target}" if target is not None else None

    def _names_passed(self, node: cst.CSTNode) -> FrozenSet[str]:
        """Names handed to a call that may add keys to them (not one that keeps the keys of
        what it is given: `_keeps_keys`)."""
        parent = self._core.tree.parent
        return frozenset(
            arg.value.value
            for arg in self._core.tree.nodes_within(node, cst.Arg)
            if isinstance(arg.value, cst.Name) and not self._keeps_keys(parent(arg), arg.value)  # type: ignore[arg-type]
        ) | frozenset(
            call.func.value.value  # type: ignore[attr-defined]
            for call in self._core.tree.nodes_within(node, cst.Call)
            if is_state_dict_call(call) and isinstance(call.func.value, cst.Name)  # type: ignore[attr-defined]
        )

    def _keeps_keys(self, call: cst.Call, argument: cst.BaseExpression, depth: int = 0) -> bool:
        """``call`` adds no key to the dict ``argument``: a save only reads what it writes (an
        earlier save of the same dict, `torch.save(ckpt, tmp)`), Fabric's `load` restores the keys
        its state already has (and no other), and a same-file function keeps the keys of a
        parameter that it only reads items of, updates items of, or hands on to such calls."""
        if id(call) in self._key_keeping_calls:
            return True
        function = self._core.callgraph.function_of(call)
        bound = self._core.callgraph.bind(call, function) if function is not None else None
        if bound is None or depth >= _MAX_PARAMETER_DEPTH:
            return False
        names = [name for name, value in bound.arguments.items() if value is argument]
        return len(names) == 1 and self._parameter_keeps_keys(function, names[0], depth)  # type: ignore[arg-type]

    def _parameter_keeps_keys(self, function: cst.FunctionDef, parameter: str, depth: int) -> bool:
        core = self._core
        for read in core.scopes.reads_of(core.scopes.scope_of_owner(function), parameter):
            if core.tree.item_access(read) is not None:
                continue
            arg = core.parent(read)
            call = core.parent(arg) if isinstance(arg, cst.Arg) and not arg.star else None
            if not (isinstance(call, cst.Call) and self._keeps_keys(call, read, depth + 1)):
                return False
        return True

    @cached_property
    def _key_keeping_calls(self) -> FrozenSet[int]:
        """The ids of every save call (the calls that write, and the calls of save helpers) and of
        every Fabric `load`."""
        sites = (*self._saves.sites, *self._saves.path_sites)
        loads = self._core.calls_to(catalog.FABRIC_LOAD)
        return frozenset(id(s.call) for s in sites) | frozenset(id(s.torch_save) for s in sites) | frozenset(
            id(site.node) for site in loads
        )

    def _is_rng(self, value: cst.BaseExpression, depth: int = 0) -> bool:
        """An RNG getter, a same-file function that calls one, or a name bound to either."""
        if isinstance(value, cst.Name) and depth < 3:
            binding = self._core.bindings.reaching(value.value, value)
            return binding is not None and binding.value is not None and self._is_rng(binding.value, depth + 1)
        for call in self._core.tree.nodes_within(value, cst.Call):
            if self._core.qualname(call.func) in catalog.RNG_STATE_CALLS:
                return True
            function = self._core.callgraph.function_of(call)
            if function is not None and self._function_gets_rng(function):
                return True
        return False

    def _function_gets_rng(self, function: cst.FunctionDef) -> bool:
        key = id(function)
        if key not in self._rng_functions:
            self._rng_functions[key] = any(
                self._core.qualname(c.func) in catalog.RNG_STATE_CALLS
                for c in self._core.tree.nodes_within(function, cst.Call)
            )
        return self._rng_functions[key]

    def saved_values(self, save: SaveSite) -> Tuple[Entry, ...]:
        """Every value ``save`` writes: the checkpoint's entries, or the object itself
        (through its binding: `sd = model.state_dict()` then `torch.save(sd, p)`)."""
        checkpoint = self.of(save)
        if checkpoint is not None:
            return checkpoint.entries
        value = save.obj
        if isinstance(value, cst.Name):
            binding = self._core.bindings.reaching(value.value, save.call)
            value = binding.value if binding is not None else None
        return (self._entry((), value, None),) if value is not None else ()

    def writes_state_dict(self, save: SaveSite) -> bool:
        """What ``save`` writes holds some object's `state_dict()`, whatever that object's kind (a
        model the kinds may not know): a checkpoint with such an entry, or `X.state_dict()` itself.
        Feature dumps and evaluation results hold none (CKPT302's checkpoint)."""
        checkpoint = self.of(save)
        if checkpoint is not None and any(entry.owner is not None for entry in checkpoint.entries):
            return True
        return save.obj is not None and is_state_dict_call(save.obj)

    def calls_in(self, entry: Entry, qualnames: FrozenSet[str]) -> Tuple[cst.Call, ...]:
        """Calls of ``qualnames`` in an entry's value, or in the value of the name it is: of every
        branch's (`state = torch.cuda.get_rng_state() if cuda else None` written as an `if`: what
        one branch stores is stored whenever that branch runs)."""
        values: Tuple[cst.BaseExpression, ...] = (entry.value,)
        if isinstance(entry.value, cst.Name):
            bindings = self._core.bindings.candidates(entry.value.value, entry.value)
            values = tuple(b.value for b in bindings if b.value is not None)
        return tuple(
            c
            for value in values
            for c in self._core.tree.nodes_within(value, cst.Call)
            if self._core.qualname(c.func) in qualnames
        )

    def calls_reading_key(self, qualnames: FrozenSet[str], key: str) -> Tuple[cst.Call, ...]:
        """Calls of ``qualnames`` whose only argument reads ``key`` from a mapping (`x["key"]`, `x.get("key")`)."""
        found = []
        for site in self._core.calls_to(*qualnames):
            args = site.node.args
            if len(args) == 1 and not args[0].star and args[0].keyword is None and reads_key(args[0].value, key):
                found.append(site.node)
        return tuple(found)

    # -- scope ---------------------------------------------------------------
    def in_scope(self, save: SaveSite, kind: Kind) -> Tuple[ScopedObject, ...]:
        """Objects of ``kind`` in scope at ``save`` (catalog "In scope"), in a stable order: the
        function's locals and parameters and the module's globals with that kind at the save (as
        `ObjectKinds.of_name` gives it: built, used or passed), and `self.x` of the class and its bases."""
        found: Dict[str, ScopedObject] = {}
        function = save.function
        for name, object_kind in self._kinded_at(save):
            if object_kind.kind is kind:
                found[name] = ScopedObject(name, object_kind)
        self_name = self._core.callgraph.self_name(function) if function is not None else None
        if save.class_def is not None and self_name is not None:
            for attribute in sorted(self._kinds.attributes(save.class_def)):
                object_kind = self._kinds.attribute_kind(save.class_def, attribute)
                if object_kind is not None and object_kind.kind is kind:
                    text = f"{self_name}.{attribute}"
                    found[text] = ScopedObject(text, object_kind)
        return tuple(found.values())

    def _kinded_at(self, save: SaveSite) -> Tuple[Tuple[str, ObjectKind], ...]:
        """Every name in scope at ``save`` that holds an object of a known kind there, with that
        kind, once per save (all kinds ask)."""
        key = id(save.call)
        if key not in self._names_in_scope:
            local = self._core.bindings.local_names(save.function) if save.function is not None else frozenset()
            kinded = []
            for name in sorted(local | (self._module_objects - local)):
                object_kind = self._kinds.of_name(name, save.call)
                if object_kind is not None:
                    kinded.append((name, object_kind))
            self._names_in_scope[key] = tuple(kinded)
        return self._names_in_scope[key]

    @cached_property
    def _module_objects(self) -> FrozenSet[str]:
        """Module-level names some assignment of which builds an object of a known kind, or that a
        use gives a kind: the only module names worth following to each save (a module of a
        thousand constants has none)."""
        bindings = self._core.bindings
        names = bindings.module_names()
        return (names & self._kinds.names_kinded_by_use) | frozenset(
            name for name in names if any(self._kinds.of(value) is not None for value in bindings.module_values(name))
        )

    def missing(self, save: SaveSite, kind: Kind) -> Tuple[ScopedObject, ...]:
        """Objects of ``kind`` in scope whose state a training checkpoint leaves out (rules 102/103/105)."""
        checkpoint = self.of(save)
        if checkpoint is None or not checkpoint.is_training or checkpoint.has_unknown_spread:
            return ()
        if checkpoint.through_parameter:
            return ()  # the dict names its objects as its builder does, not as the save's function does
        if any(entry.opaque for entry in checkpoint.entries):
            return ()  # `[o.state_dict() for o in optimizers]` may hold it
        return tuple(
            obj
            for obj in self.in_scope(save, kind)
            if not checkpoint.holds(obj.text) and not self._saved_nearby(save, obj.text)
        )

    # -- where the program resumes -------------------------------------------
    def counterpart(self, save: SaveSite, obj: ScopedObject, at: cst.CSTNode) -> Optional[str]:
        """How ``obj`` (in scope at ``save``) is spelled at ``at``, if it exists there (module docstring)."""
        present = self.objects_at(at, obj.kind.kind)
        by_text = {found.text: found for found in present}
        function = self._core.tree.enclosing_function(at)
        if "." not in obj.text and obj.text in by_text:
            if function is not save.function:
                return obj.text
            bindings = self._core.bindings
            here, there = bindings.reaching(obj.text, at), bindings.reaching(obj.text, save.call)
            return obj.text if here is not None and there is not None and here.node is there.node else None
        if "." in obj.text:  # `self.x`: the same attribute of the same class, or nothing
            attribute = obj.text.split(".", 1)[1]
            self_name = self._core.callgraph.self_name(function) if function is not None else None
            if self_name is not None and f"{self_name}.{attribute}" in by_text and self._same_class(save, function):
                return f"{self_name}.{attribute}"
            return None
        if len(present) == 1 and len(self.in_scope(save, obj.kind.kind)) == 1:
            return present[0].text
        return None

    def _same_class(self, save: SaveSite, function: Optional[cst.FunctionDef]) -> bool:
        class_def = self._core.tree.class_of(function) if function is not None else None
        if class_def is None or save.class_def is None:
            return False
        callgraph = self._core.callgraph
        return class_def in callgraph.bases(save.class_def) or save.class_def in callgraph.bases(class_def)

    def objects_at(self, at: cst.CSTNode, kind: Kind) -> Tuple[ScopedObject, ...]:
        """Objects of ``kind`` that exist at ``at``: names bound there to one (locals, module
        globals, parameters), and `self.x` attributes the class builds in `__init__`."""
        tree, bindings = self._core.tree, self._core.bindings
        function = tree.enclosing_function(at)
        local = bindings.local_names(function) if function is not None else frozenset()
        found: Dict[str, ScopedObject] = {}
        for name in sorted(local | (self._module_objects - local)):
            object_kind = self._kinds.of_binding(bindings.reaching(name, at))
            if object_kind is not None and object_kind.kind is kind:
                found[name] = ScopedObject(name, object_kind)
        class_def = tree.class_of(function) if function is not None else None
        self_name = self._core.callgraph.self_name(function) if function is not None else None
        if class_def is not None and self_name is not None:
            for attribute in sorted(self._kinds.attributes(class_def)):
                object_kind = self._kinds.attribute_kind(class_def, attribute)
                if object_kind is not None and object_kind.kind is kind and self._built_before(class_def, attribute, at):
                    found[f"{self_name}.{attribute}"] = ScopedObject(f"{self_name}.{attribute}", object_kind)
        return tuple(found.values())

    def _built_before(self, class_def: cst.ClassDef, attribute: str, at: cst.CSTNode) -> bool:
        """`self.<attribute>` is assigned in `__init__` of the class or a base (before ``at`` when
        ``at`` is in that `__init__`)."""
        tree = self._core.tree
        for owner in self._core.callgraph.bases(class_def):
            for binding in self._core.bindings.attribute_bindings(owner, attribute):
                function = tree.enclosing_function(binding.node)
                if function is None or function.name.value != "__init__":
                    continue
                if not tree.contains(function, at) or tree.before(binding.node, at):
                    return True
        return False

    # -- what weights_only=True reads back ----------------------------------------
    def unreadable_values(self, save: SaveSite) -> Tuple[Unreadable, ...]:
        """The values ``save`` writes that `torch.load(weights_only=True)` refuses (`weights_only.py`)."""
        checkpoint = self.of(save)
        entries = [(entry.path, entry.value) for entry in checkpoint.entries] if checkpoint is not None else None
        return self._weights_only.unreadable(save, entries, checkpoint is None or checkpoint.has_unknown_spread)

    def _saved_nearby(self, save: SaveSite, owner: str) -> bool:
        """Another save of the same function (or class) holds it: a weights-only "best" next to a resume checkpoint."""
        for other in self._saves.sites:
            if other is save:
                continue
            same = (save.function is not None and other.function is save.function) or (
                save.class_def is not None and other.class_def is save.class_def
            )
            if same:
                checkpoint = self.of(other)
                if checkpoint is not None and checkpoint.holds(owner):
                    return True
        return False
