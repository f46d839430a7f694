"""A module's summary, read off its own semantic model (the same facts its own lint uses), on demand.

Summaries are built by the facts that lint the module itself, so a helper is
a helper, a rank test a rank test, for the module that defines it and for the
modules that import it alike. What the summary offers is listed in
`core/summary.py`.

Each fact is computed the first time another module reads it (`utils.save_ckpt`'s
save parameters when a file calls it, `models.Net`'s kind when a file builds
one), not every fact of the module when it is first imported: a module's facts
read other modules in turn (what `build_model` returns is what `nets.Net` is),
and facts nobody reads would pull in modules nobody needs. While one of its
facts is being computed a module is unknown to what that computation reads
(an import cycle ends there, as it did when whole summaries were built).

The facts computed so far are what the disk cache keeps (`to_json`); a summary
read back from it computes a fact it lacks from a model parsed then.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Protocol, Tuple, TypeVar

import libcst as cst

from ckptlint.semantic.core.scopes import IMPORT
from ckptlint.semantic.core.summary import FORMAT, ClassSummary, FunctionSummary, ModuleSummary, ObjectSummary
from ckptlint.semantic.data import catalog
from ckptlint.semantic.model import SemanticModel

T = TypeVar("T")
Memo = Dict[str, Any]
Where = Tuple[str, str]  # a function: ("", name); a method: (its class, name)
_MISSING = object()  # not computed yet


class Busy(Protocol):
    """`ProjectIndex.computing`: ``busy`` says whether the module was being computed already."""

    busy: bool

    def __enter__(self) -> "Busy": ...

    def __exit__(self, *exc: object) -> None: ...


class Source:
    """One module's model (built when first needed, and let go to save memory) and the guard that
    keeps a computation from reading the module it computes."""

    __slots__ = ("_build", "_model", "_guard", "_used", "_computing", "grown")

    def __init__(
        self,
        build: Callable[[], Optional[SemanticModel]],
        guard: Callable[[], Busy],
        used: Callable[["Source"], None],
        model: Optional[SemanticModel] = None,
    ) -> None:
        """``build`` parses the module again; ``used`` is told each time the model is read (the
        index lets the least recently used models go)."""
        self._build = build
        self._model = model
        self._computing = False  # a fact of the model is being computed: `release` leaves it open
        self._guard = guard
        self._used = used
        self.grown = False  # facts were computed since the disk cache was last written

    @property
    def model(self) -> Optional[SemanticModel]:
        if self._model is None:
            self._model = self._build()
        if self._model is not None:
            self._used(self)
        return self._model

    @property
    def size(self) -> int:
        """The characters of the module's text (0 when no model is held): what holding it costs."""
        return len(self._model.text) if self._model is not None else 0

    @property
    def has_model(self) -> bool:
        return self._model is not None

    def release(self) -> None:
        """Let the model go; a fact still to compute parses the module again. The model is closed
        (its syntax tree freed now, not by the cycle collector; a lint it was lent to holds it
        until that lint ends), or, when a fact of it is being computed (reading other modules'
        summaries, which let the least recently read models go), once that computation ends."""
        if self._model is not None and not self._computing:
            self._model.close()
        self._model = None

    def compute(self, memo: Memo, key: str, fact: Callable[[SemanticModel], T], unknown: T) -> T:
        """``fact(model)``, computed once; ``unknown``, and not kept, while the module is being
        computed (or when it cannot be parsed any more)."""
        if key in memo:
            return memo[key]  # type: ignore[no-any-return]
        with self._guard() as computing:
            if computing.busy:
                return unknown
            model = self.model
            if model is None:
                return unknown
            self._computing = True  # the guard makes it the only computation of this module
            try:
                value = fact(model)
            except Exception:  # a fact that cannot be computed is unknown, never an error of the file asking
                value = unknown
            finally:
                self._computing = False
                if self._model is not model:  # let go meanwhile: closed now that nothing reads it
                    model.close()
        memo[key] = value
        self.grown = True
        return value


class LazyMap(Mapping[str, T]):
    """Names whose values are computed when first read; a name whose value comes out None is not
    in it (as a summary leaves out what it does not know)."""

    def __init__(self, source: Source, keys: Callable[[SemanticModel], Iterable[str]], value: Callable[[SemanticModel, str], Optional[T]]) -> None:
        self._source = source
        self._keys = keys
        self._value = value
        self._names: Memo = {}  # "": the names, once listed
        self._values: Memo = {}

    def _all(self) -> Tuple[str, ...]:
        names = self._names.get("")
        if names is None:
            names = self._source.compute(self._names, "", lambda model: tuple(sorted(self._keys(model))), ())
        return names

    def names(self) -> Tuple[str, ...]:
        """The names it may hold (those whose value is not None among them)."""
        return self._all()

    def get(self, name: str, default: Optional[T] = None) -> Optional[T]:  # type: ignore[override]
        found = self._values.get(name, _MISSING)
        if found is _MISSING:
            if name not in self._all():
                return default
            found = self._source.compute(self._values, name, lambda model: self._value(model, name), None)
        return default if found is None else found  # type: ignore[return-value]

    def __getitem__(self, name: str) -> T:
        found = self.get(name)
        if found is None:
            raise KeyError(name)
        return found

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[str]:
        return iter([name for name in self._all() if self.get(name) is not None])

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def to_json(self, value: Callable[[T], Any]) -> Dict[str, Any]:
        return {
            "names": list(self._names[""]) if "" in self._names else None,
            "values": {name: (None if found is None else value(found)) for name, found in self._values.items()},
        }

    def seed(self, data: Dict[str, Any], value: Callable[[Any], T]) -> None:
        if data.get("names") is not None:
            self._names[""] = tuple(data["names"])
        self._values.update({name: (None if found is None else value(found)) for name, found in data["values"].items()})


class LazyModuleSummary(ModuleSummary):
    """A `ModuleSummary` whose facts are computed from the module's model when first read."""

    def __init__(self, source: Source) -> None:  # noqa: D107  (not the dataclass's fields)
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "functions", LazyMap(source, _function_names, lambda model, name: LazyFunction(source, ("", name))))
        object.__setattr__(self, "classes", LazyMap(source, _class_names, lambda model, name: LazyClass(source, name)))
        object.__setattr__(self, "objects", LazyMap(source, lambda model: model.bindings.module_names(), _object))
        object.__setattr__(self, "_imports", {})

    @property
    def imports(self) -> Dict[str, str]:  # type: ignore[override]
        return self.source.compute(self._imports, "", _imports, {})

    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        return self is other

    def may_offer(self, name: str) -> bool:
        """Whether the module defines ``name`` itself: a function, a class, or a module-level name
        that may be an object of a known kind (whose kind is not computed to tell)."""
        return any(name in names for names in (self.functions.names(), self.classes.names(), self.objects.names()))  # type: ignore[attr-defined]

    def to_json(self) -> Dict[str, Any]:
        """The facts computed so far (`seed` reads them back)."""
        return {
            "format": FORMAT,
            "functions": self.functions.to_json(lambda function: function.to_json()),  # type: ignore[attr-defined]
            "classes": self.classes.to_json(lambda cls: cls.to_json()),  # type: ignore[attr-defined]
            "objects": self.objects.to_json(lambda found: found.kind),  # type: ignore[attr-defined]
            "imports": self._imports.get(""),
        }

    def seed(self, data: Dict[str, Any]) -> bool:
        """Take the facts of ``data`` (what `to_json` wrote) as computed; False for data of another
        format (nothing is taken)."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            return False
        source = self.source
        try:
            self.functions.seed(data["functions"], lambda found: LazyFunction(source, ("", found["name"]), found["memo"]))  # type: ignore[attr-defined]
            self.classes.seed(data["classes"], lambda found: LazyClass(source, found["name"], found))  # type: ignore[attr-defined]
            self.objects.seed(data["objects"], ObjectSummary)  # type: ignore[attr-defined]
            if data["imports"] is not None:
                self._imports[""] = dict(data["imports"])
        except (KeyError, TypeError, AttributeError, ValueError):
            return False
        return True


# -- functions -----------------------------------------------------------------
def _save_facts(model: SemanticModel, function: cst.FunctionDef) -> Memo:
    saves = model.saves_deciding(function)
    helper = saves.helpers.get(id(function))
    return {
        "saves_object": helper.obj_parameter if helper is not None else None,
        "saves_path": helper.path_parameter if helper is not None else None,
        "forwards_save": helper is not None and helper.forwards,
        "builds_checkpoint": helper is not None and helper.obj_parameter is None and not helper.forwards,
        "save_guarded": helper is not None and _guarded_inside(model, helper.inner),
        "save_per_rank": helper is not None and model.guards.save_depends_on_rank(saves.helper_saves[id(function)]),
    }


def _return_facts(model: SemanticModel, function: cst.FunctionDef) -> Memo:
    returns_kind = model.kinds.returns_kind(function)
    return {
        "returns_kind": returns_kind.kind.value if returns_kind is not None else None,
        "returns_parameter": model.kinds.returned_parameter(function) if returns_kind is None else None,
    }


def _seed_facts(model: SemanticModel, function: cst.FunctionDef) -> Memo:
    seeding = model.seeding.helpers.get(id(function))
    return {
        "seeds": list(sorted(seeding[1])) if seeding is not None else [],
        "seed_parameter": _seed_parameter(seeding, _params(function)) if seeding is not None else None,
    }


def _starts_process_group(model: SemanticModel, function: cst.FunctionDef) -> bool:
    return any(model.tree.contains(function, site.node) for site in model.calls_to(*catalog.PROCESS_GROUP_STARTS))


# Each computation of a function's facts, by the name its results are kept under, and the fields it gives.
_FACTS: Dict[str, Callable[[SemanticModel, cst.FunctionDef], Memo]] = {
    "params": lambda model, function: {"params": list(_params(function))},
    "save": _save_facts,
    "returns": _return_facts,
    "seeds": _seed_facts,
    "returns_rank_test": lambda model, function: {"returns_rank_test": model.guards.returns_rank_test(function)},
    "returns_rank": lambda model, function: {"returns_rank": model.guards.returns_rank(function)},
    "requests_determinism": lambda model, function: {"requests_determinism": model.seeding.requests_determinism_in(function)},
    "starts_process_group": lambda model, function: {"starts_process_group": _starts_process_group(model, function)},
    "trains": lambda model, function: {"trains": model.loops.function_trains(function)},
    "syncs": lambda model, function: {"syncs": model.guards.syncs(function)},
    "sets_epoch": lambda model, function: {"sets_epoch": model.distributed.sets_epoch(function)},
}
_GROUP = {
    "params": "params",
    **{name: "save" for name in ("saves_object", "saves_path", "forwards_save", "builds_checkpoint", "save_guarded", "save_per_rank")},
    "returns_kind": "returns", "returns_parameter": "returns",
    "seeds": "seeds", "seed_parameter": "seeds",
    **{name: name for name in ("returns_rank_test", "returns_rank", "requests_determinism", "starts_process_group", "trains", "syncs", "sets_epoch")},
}
_TUPLES = ("params", "seeds")  # kept as lists in JSON
_UNKNOWN = {name: f.default for name, f in FunctionSummary.__dataclass_fields__.items() if name != "params"}  # type: ignore[attr-defined]
_UNKNOWN["params"] = ()


def _field(name: str) -> property:
    group = _GROUP[name]

    def read(self: "LazyFunction") -> Any:
        values = self._memo.get(group, _MISSING)
        if values is _MISSING:
            values = self._source.compute(self._memo, group, self._compute(group), None)
        if values is None:
            return _UNKNOWN[name]
        return tuple(values[name]) if name in _TUPLES else values[name]

    return property(read)


class LazyFunction(FunctionSummary):
    """A `FunctionSummary` whose facts are computed from the module's model when first read."""

    def __init__(self, source: Source, where: Where, memo: Optional[Memo] = None) -> None:  # noqa: D107
        object.__setattr__(self, "_source", source)
        object.__setattr__(self, "_where", where)
        object.__setattr__(self, "_memo", dict(memo or {}))

    def _compute(self, group: str) -> Callable[[SemanticModel], Optional[Memo]]:
        def compute(model: SemanticModel) -> Optional[Memo]:
            function = _function(model, self._where)
            return _FACTS[group](model, function) if function is not None else None

        return compute

    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        return self is other

    def to_json(self) -> Dict[str, Any]:
        return {"name": self._where[1], "memo": self._memo}


for _name in _GROUP:
    setattr(LazyFunction, _name, _field(_name))


def _function(model: SemanticModel, where: Where) -> Optional[cst.FunctionDef]:
    owner, name = where
    if not owner:
        return _last(s for s in model.module.body if isinstance(s, cst.FunctionDef) and s.name.value == name)
    class_def = _class(model, owner)
    return model.callgraph.method(class_def, name) if class_def is not None else None


def _function_names(model: SemanticModel) -> List[str]:
    return [s.name.value for s in model.module.body if isinstance(s, cst.FunctionDef)]


def _params(function: cst.FunctionDef) -> Tuple[str, ...]:
    return tuple(p.name.value for p in (*function.params.posonly_params, *function.params.params))


def _guarded_inside(model: SemanticModel, save: cst.Call) -> bool:
    """The save runs only under a rank guard of its own function (or a decorator): a guard that
    holds only because every caller in this module is guarded says nothing of other modules' calls."""
    guard = model.guards.guard_of(save)
    return guard is not None and guard.kind != "caller"


def _seed_parameter(seeding, params) -> Optional[str]:  # type: ignore[no-untyped-def]
    for inner in seeding[2]:
        if isinstance(inner.seed, cst.Name) and inner.seed.value in params:
            return inner.seed.value
    return None


# -- classes -------------------------------------------------------------------
class LazyClass(ClassSummary):
    """A `ClassSummary` whose facts are computed from the module's model when first read."""

    def __init__(self, source: Source, name: str, data: Optional[Dict[str, Any]] = None) -> None:  # noqa: D107
        object.__setattr__(self, "_source", source)
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_memo", dict(data["memo"]) if data else {})
        methods: LazyMap[FunctionSummary] = LazyMap(source, lambda model: _method_names(model, name), lambda model, method: _method(source, model, name, method))
        attributes: LazyMap[str] = LazyMap(source, lambda model: _attribute_names(model, name), lambda model, attribute: _attribute(model, name, attribute))
        if data:
            methods.seed(data["methods"], lambda found: LazyFunction(source, (name, found["name"]), found["memo"]))
            attributes.seed(data["attributes"], str)
        object.__setattr__(self, "methods", methods)
        object.__setattr__(self, "attributes", attributes)

    @property
    def kind(self) -> Optional[str]:  # type: ignore[override]
        return self._source.compute(self._memo, "kind", lambda model: _class_kind(model, self._name), None)

    @property
    def base(self) -> Optional[str]:  # type: ignore[override]
        return self._source.compute(self._memo, "base", lambda model: _external_base(model, self._name), None)

    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        return self is other

    def to_json(self) -> Dict[str, Any]:
        return {
            "name": self._name,
            "memo": self._memo,
            "methods": self.methods.to_json(lambda method: method.to_json()),  # type: ignore[attr-defined]
            "attributes": self.attributes.to_json(lambda kind: kind),  # type: ignore[attr-defined]
        }


def _class(model: SemanticModel, name: str) -> Optional[cst.ClassDef]:
    return _last(s for s in model.module.body if isinstance(s, cst.ClassDef) and s.name.value == name)


def _last(found: Iterable[T]) -> Optional[T]:
    """The last of ``found``: of two definitions of one name, the module keeps the later."""
    last = None
    for last in found:
        pass
    return last


def _class_names(model: SemanticModel) -> List[str]:
    return [s.name.value for s in model.module.body if isinstance(s, cst.ClassDef)]


def _class_kind(model: SemanticModel, name: str) -> Optional[str]:
    class_def = _class(model, name)
    kind = model.kinds.class_def_kind(class_def) if class_def is not None else None
    return kind.value if kind is not None else None


def _external_base(model: SemanticModel, name: str) -> Optional[str]:
    class_def = _class(model, name)
    return model.external_base(class_def) if class_def is not None else None


def _method_names(model: SemanticModel, name: str) -> Iterable[str]:
    """The methods an instance of the class has from this module: its own, and those of its bases
    in this module."""
    class_def = _class(model, name)
    if class_def is None:
        return ()
    return {s.name.value for owner in model.callgraph.bases(class_def) for s in owner.body.body if isinstance(s, cst.FunctionDef)}


def _method(source: Source, model: SemanticModel, owner: str, name: str) -> Optional[FunctionSummary]:
    """The method ``name`` as a call in the module itself would find it (`callgraph.method`)."""
    class_def = _class(model, owner)
    if class_def is None or model.callgraph.method(class_def, name) is None:
        return None
    return LazyFunction(source, (owner, name))


def _attribute_names(model: SemanticModel, name: str) -> Iterable[str]:
    """The instance attributes the class may give a kind: assigned `self.x`, properties, and what
    its bases of other modules give."""
    class_def = _class(model, name)
    if class_def is None:
        return ()
    properties = {
        method.name.value
        for owner in model.callgraph.bases(class_def)
        for method in owner.body.body
        if isinstance(method, cst.FunctionDef) and model.callgraph.property_method(class_def, method.name.value) is method
    }
    return model.kinds.attributes(class_def) | properties | model.kinds.external_attributes(class_def)


def _attribute(model: SemanticModel, owner: str, name: str) -> Optional[str]:
    class_def = _class(model, owner)
    kind = model.kinds.attribute_kind(class_def, name) if class_def is not None else None
    return kind.kind.value if kind is not None else None


# -- module-level objects and imports --------------------------------------------
def _object(model: SemanticModel, name: str) -> Optional[ObjectSummary]:
    """A module-level name whose every assignment builds an object of one kind."""
    kinds = {model.kinds.of(value) for value in model.bindings.module_values(name)}
    if len(kinds) == 1 and None not in kinds:
        return ObjectSummary(next(iter(kinds)).kind.value)  # type: ignore[union-attr]
    return None


def _imports(model: SemanticModel) -> Dict[str, str]:
    """Module-level names bound only by an import, with the qualified name each import gives."""
    found: Dict[str, str] = {}
    for name, bindings in model.scopes.module.bindings.items():
        if bindings and all(b.kind == IMPORT and b.imported for b in bindings) and len({b.imported for b in bindings}) == 1:
            found[name] = bindings[0].imported  # type: ignore[assignment]
    return found
