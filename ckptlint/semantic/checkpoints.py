"""What a save writes: the checkpoint dict, its keys and what each value is.

The object saved is read where it is built: a dict literal, `dict(...)`, or
a variable built up in the same function before the save (`ckpt = {}`,
`ckpt["k"] = v`, `ckpt.update({...})`, `ckpt.update(k=v)`), nested dicts
and `**spread` of a literal included. A spread (or an update, or a call that
receives the variable) of an unknown mapping sets `has_unknown_spread`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Dict, FrozenSet, List, Optional, Tuple, Union

import libcst as cst

from ckptlint.config.settings import ProjectSettings
from ckptlint.semantic import catalog
from ckptlint.semantic.core.bindings import Binding
from ckptlint.semantic.dicts import is_dict_builder, is_state_dict_call, reads_key, string_value, subscript_key
from ckptlint.semantic.kinds import Kind, ObjectKind, ObjectKinds
from ckptlint.semantic.saves import SaveSite, Saves
from ckptlint.semantic.core.walk import visit_tree

if TYPE_CHECKING:
    from ckptlint.semantic.model import SemanticModel

Container = Union[cst.Dict, cst.Call]


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

    @property
    def keys(self) -> FrozenSet[str]:
        return frozenset(k for e in self.entries for k in e.path if k is not None)

    @property
    def top_keys(self) -> FrozenSet[str]:
        return frozenset(e.path[0] for e in self.entries if e.path and e.path[0] is not None)

    @property
    def is_training(self) -> bool:
        """Holds model weights (the catalog's "training checkpoint")."""
        return any(e.state_of is not None and e.state_of.kind is Kind.MODEL for e in self.entries)

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
    def __init__(self, model: "SemanticModel", project: ProjectSettings, kinds: ObjectKinds, saves: Saves) -> None:
        self._model = model
        self._kinds = kinds
        self._saves = saves
        self._by_save: Dict[int, Optional[Checkpoint]] = {}
        self._names_in_scope: Dict[int, Tuple[Tuple[str, Optional[Binding]], ...]] = {}
        self._rng_functions: Dict[str, bool] = {}

    # -- contents ----------------------------------------------------------
    def of(self, save: SaveSite) -> Optional[Checkpoint]:
        """The dict ``save`` writes, or None when it is not a dict this model can read."""
        key = id(save)
        if key not in self._by_save:
            self._by_save[key] = self._read(save)
        return self._by_save[key]

    def _read(self, save: SaveSite) -> Optional[Checkpoint]:
        obj = save.obj
        if obj is None:
            return None
        if is_dict_builder(self._model, obj):
            entries, unknown = self._entries(obj, ())
            return Checkpoint(save, tuple(entries), unknown, obj, None, None)  # type: ignore[arg-type]
        if not isinstance(obj, cst.Name):
            return None
        binding = self._model.bindings.reaching(obj.value, save.call)
        if binding is None or binding.value is None or not is_dict_builder(self._model, binding.value):
            return None
        entries, unknown = self._entries(binding.value, ())
        last: Optional[cst.SimpleStatementLine] = None
        start = self._model.span(binding.node).end_offset
        end = self._model.span(save.call).start_offset
        block = self._model.parents.get(binding.node)
        for statement, small in self._statements_between(save, start, end):
            found = self._mutation(small, obj.value)
            if found is None:
                continue
            more, more_unknown = found
            entries.extend(more)
            unknown = unknown or more_unknown
            if (
                isinstance(small, cst.Assign)
                and isinstance(statement, cst.SimpleStatementLine)
                and self._model.parents.get(statement) is block
            ):
                last = statement
        return Checkpoint(save, tuple(entries), unknown, binding.value, obj.value, last)  # type: ignore[arg-type]

    def _statements_between(self, save: SaveSite, start: int, end: int):
        scope: cst.CSTNode = save.function if save.function is not None else self._model.module
        collector = _SmallStatements(scope)
        visit_tree(scope, collector)
        for statement, small in collector.found:
            span = self._model.span(small)
            if start <= span.start_offset and span.end_offset <= end:
                yield statement, small

    def _mutation(self, small: cst.CSTNode, name: str) -> Optional[Tuple[List[Entry], bool]]:
        """Entries a statement adds to the dict ``name`` (None when it does not touch it)."""
        if isinstance(small, cst.Assign):
            for target in small.targets:
                t = target.target
                if isinstance(t, cst.Subscript) and isinstance(t.value, cst.Name) and t.value.value == name:
                    key = subscript_key(t)
                    if key is None:
                        return [], True
                    return self._entries_for_value((key,), small.value), False
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            call = small.value
            func = call.func
            if (
                isinstance(func, cst.Attribute)
                and isinstance(func.value, cst.Name)
                and func.value.value == name
                and func.attr.value == "update"
            ):
                entries, unknown = self._entries(cst.Call(func=cst.Name("dict"), args=call.args), ())
                return entries, unknown
        if name in _names_passed(small):
            return [], True  # handed to a call that may add keys
        return None

    def _entries(self, container: cst.BaseExpression, path: Tuple[Optional[str], ...]) -> Tuple[List[Entry], bool]:
        entries: List[Entry] = []
        unknown = False
        if isinstance(container, cst.Dict):
            for element in container.elements:
                if isinstance(element, cst.StarredDictElement):
                    if isinstance(element.value, cst.Dict):
                        more, more_unknown = self._entries(element.value, path)
                        entries.extend(more)
                        unknown = unknown or more_unknown
                    else:
                        unknown = True
                    continue
                key = string_value(element.key)
                entries.extend(self._entries_for_value(path + (key,), element.value))
        elif isinstance(container, cst.Call):
            for arg in container.args:
                if arg.star == "**" or arg.star == "*":
                    unknown = True
                elif arg.keyword is not None:
                    entries.extend(self._entries_for_value(path + (arg.keyword.value,), arg.value))
                elif isinstance(arg.value, cst.Dict):
                    more, more_unknown = self._entries(arg.value, path)
                    entries.extend(more)
                    unknown = unknown or more_unknown
                else:
                    unknown = True
        return entries, unknown

    def _entries_for_value(self, path: Tuple[Optional[str], ...], value: cst.BaseExpression) -> List[Entry]:
        if is_dict_builder(self._model, value):
            nested, _ = self._entries(value, path)  # an unknown nested spread hides no top-level key
            return nested
        return [self._entry(path, value)]

    def _entry(self, path: Tuple[Optional[str], ...], value: cst.BaseExpression) -> Entry:
        state_of: Optional[ObjectKind] = None
        owner: Optional[str] = None
        if is_state_dict_call(value):
            receiver = value.func.value  # type: ignore[attr-defined]
            state_of = self._kinds.of(receiver)
            owner = self._model.code(receiver)
        collector = _CallArguments()
        visit_tree(value, collector)
        passed = frozenset(self._model.code(node) for node in collector.found)
        return Entry(path, value, state_of, owner, self._is_rng(value), passed, collector.opaque)

    def _is_rng(self, value: cst.BaseExpression, depth: int = 0) -> bool:
        """An RNG getter, a same-file function that calls one, or a name bound to either."""
        if isinstance(value, cst.Name) and depth < 3:
            binding = self._model.bindings.reaching(value.value, value)
            return binding is not None and binding.value is not None and self._is_rng(binding.value, depth + 1)
        collector = _Calls()
        visit_tree(value, collector)
        for call in collector.found:
            name = self._model.qualname(call.func)
            if name in catalog.RNG_STATE_CALLS:
                return True
            if name is not None and name.startswith("<local>.") and self._local_function_gets_rng(name):
                return True
        return False

    def _local_function_gets_rng(self, qualname: str) -> bool:
        if qualname not in self._rng_functions:
            self._rng_functions[qualname] = False
            short = qualname[len("<local>.") :]
            for statement in self._model.module.body:
                if isinstance(statement, cst.FunctionDef) and statement.name.value == short:
                    collector = _Calls()
                    visit_tree(statement, collector)
                    self._rng_functions[qualname] = any(
                        self._model.qualname(c.func) in catalog.RNG_STATE_CALLS for c in collector.found
                    )
        return self._rng_functions[qualname]

    def saved_values(self, save: SaveSite) -> Tuple[Entry, ...]:
        """Every value ``save`` writes: the checkpoint's entries, or the object itself
        (through its binding: `sd = model.state_dict()` then `torch.save(sd, p)`)."""
        checkpoint = self.of(save)
        if checkpoint is not None:
            return checkpoint.entries
        value = save.obj
        if isinstance(value, cst.Name):
            binding = self._model.bindings.reaching(value.value, save.call)
            value = binding.value if binding is not None else None
        return (self._entry((), value),) if value is not None else ()

    def calls_in(self, entry: Entry, qualnames: FrozenSet[str]) -> Tuple[cst.Call, ...]:
        """Calls of ``qualnames`` in an entry's value (or in the value of the name it is)."""
        value = entry.value
        if isinstance(value, cst.Name):
            binding = self._model.bindings.reaching(value.value, value)
            if binding is None or binding.value is None:
                return ()
            value = binding.value
        collector = _Calls()
        visit_tree(value, collector)
        return tuple(c for c in collector.found if self._model.qualname(c.func) in qualnames)

    def calls_reading_key(self, qualnames: FrozenSet[str], key: str) -> Tuple[cst.Call, ...]:
        """Calls of ``qualnames`` whose only argument reads ``key`` from a mapping (`x["key"]`, `x.get("key")`)."""
        found = []
        for site in self._model.calls_to(*qualnames):
            args = site.node.args
            if len(args) == 1 and not args[0].star and args[0].keyword is None and reads_key(args[0].value, key):
                found.append(site.node)
        return tuple(found)

    # -- scope ---------------------------------------------------------------
    def in_scope(self, save: SaveSite, kind: Kind) -> Tuple[ScopedObject, ...]:
        """Objects of ``kind`` in scope at ``save`` (catalog "In scope"), in a stable order."""
        bindings = self._model.bindings
        found: Dict[str, ScopedObject] = {}
        function = save.function
        for name, binding in self._reaching_at(save):
            object_kind = self._kinds.of_binding(binding)
            if object_kind is not None and object_kind.kind is kind and _counts(binding):
                found[name] = ScopedObject(name, object_kind)
        if save.class_def is not None and function is not None and function.params.params:
            self_name = function.params.params[0].name.value
            for attribute in sorted(bindings.attributes(save.class_def)):
                object_kind = self._kinds.attribute_kind(save.class_def, attribute)
                if object_kind is not None and object_kind.kind is kind:
                    text = f"{self_name}.{attribute}"
                    found[text] = ScopedObject(text, object_kind)
        return tuple(found.values())

    def _reaching_at(self, save: SaveSite) -> Tuple[Tuple[str, Optional[Binding]], ...]:
        """Every name in scope at ``save`` that may hold an object of a known kind, with its
        reaching binding, once per save (all kinds ask)."""
        key = id(save.call)
        if key not in self._names_in_scope:
            bindings = self._model.bindings
            local = bindings.local_names(save.function) if save.function is not None else frozenset()
            names = sorted(local | (self._module_objects - local))
            self._names_in_scope[key] = tuple((name, bindings.reaching(name, save.call)) for name in names)
        return self._names_in_scope[key]

    @cached_property
    def _module_objects(self) -> FrozenSet[str]:
        """Module-level names some assignment of which builds an object of a known kind: the only
        module names worth following to each save (a module of a thousand constants has none)."""
        bindings = self._model.bindings
        return frozenset(
            name
            for name in bindings.module_names()
            if any(self._kinds.of(value) is not None for value in bindings.module_values(name))
        )

    def missing(self, save: SaveSite, kind: Kind) -> Tuple[ScopedObject, ...]:
        """Objects of ``kind`` in scope whose state a training checkpoint leaves out (rules 102/103/105)."""
        checkpoint = self.of(save)
        if checkpoint is None or not checkpoint.is_training or checkpoint.has_unknown_spread:
            return ()
        if any(entry.opaque for entry in checkpoint.entries):
            return ()  # `[o.state_dict() for o in optimizers]` may hold it
        return tuple(
            obj
            for obj in self.in_scope(save, kind)
            if not checkpoint.holds(obj.text) and not self._saved_nearby(save, obj.text)
        )

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


def _counts(binding: Optional[Binding]) -> bool:
    """Parameters are in scope only when annotated (the catalog's "In scope")."""
    return binding is not None and (not binding.is_parameter or binding.annotation is not None)


def _names_passed(node: cst.CSTNode) -> FrozenSet[str]:
    collector = _CallArguments()
    visit_tree(node, collector)
    return frozenset(n.value for n in collector.found if isinstance(n, cst.Name))


class _SmallStatements(cst.CSTVisitor):
    """Simple statements of one scope (nested functions and classes are other scopes)."""

    def __init__(self, root: cst.CSTNode) -> None:
        self.root = root
        self.found: List[Tuple[cst.CSTNode, cst.CSTNode]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return node is self.root

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        for small in node.body:
            self.found.append((node, small))


class _Calls(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: List[cst.Call] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.found.append(node)


class _CallArguments(cst.CSTVisitor):
    """Names and attributes passed whole as call arguments (`f(optimizer)`, `g(self.opt)`) or
    whose `state_dict()` is taken; `opaque` when a comprehension takes state dicts."""

    def __init__(self) -> None:
        self.found: List[cst.BaseExpression] = []
        self.opaque = False
        self._comprehensions = 0

    def _enter(self, node: cst.CSTNode) -> None:
        self._comprehensions += 1

    def _leave(self, node: cst.CSTNode) -> None:
        self._comprehensions -= 1

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _enter  # type: ignore[assignment]
    leave_ListComp = leave_SetComp = leave_DictComp = leave_GeneratorExp = _leave  # type: ignore[assignment]

    def visit_Call(self, node: cst.Call) -> None:
        if is_state_dict_call(node):
            if self._comprehensions:
                self.opaque = True
            receiver = node.func.value  # type: ignore[attr-defined]
            if isinstance(receiver, (cst.Name, cst.Attribute)):
                self.found.append(receiver)

    def visit_Arg(self, node: cst.Arg) -> None:
        if isinstance(node.value, (cst.Name, cst.Attribute)):
            self.found.append(node.value)
