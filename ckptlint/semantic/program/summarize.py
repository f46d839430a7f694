"""A module's summary, read off its own semantic model (the same facts its own lint uses).

Summaries are built by the facts that lint the module itself, so a helper is
a helper, a rank test a rank test, for the module that defines it and for the
modules that import it alike. What the summary keeps is listed in
`core/summary.py`.
"""

from __future__ import annotations

from typing import Dict, Optional

import libcst as cst

from ckptlint.semantic.core.scopes import IMPORT
from ckptlint.semantic.core.summary import ClassSummary, FunctionSummary, ModuleSummary, ObjectSummary
from ckptlint.semantic.data import catalog
from ckptlint.semantic.model import SemanticModel


def summarize(model: SemanticModel) -> ModuleSummary:
    functions: Dict[str, FunctionSummary] = {}
    classes: Dict[str, ClassSummary] = {}
    methods: Dict[int, FunctionSummary] = {}  # a base's method, summarised once for all its subclasses
    for statement in model.module.body:
        if isinstance(statement, cst.FunctionDef):
            functions[statement.name.value] = _function(model, statement)
        elif isinstance(statement, cst.ClassDef):
            kind = model.kinds.class_def_kind(statement)
            classes[statement.name.value] = ClassSummary(
                kind.value if kind is not None else None,
                _methods(model, statement, methods),
                _attributes(model, statement),
                model.external_base(statement),
            )
    return ModuleSummary(functions, classes, _objects(model), _imports(model))


def _methods(model: SemanticModel, class_def: cst.ClassDef, known: Dict[int, FunctionSummary]) -> Dict[str, FunctionSummary]:
    """The methods an instance of ``class_def`` has from this module: its own, and those of its
    bases in this module, as a call in the module itself would find them (`callgraph.method`)."""
    names = {s.name.value for owner in model.callgraph.bases(class_def) for s in owner.body.body if isinstance(s, cst.FunctionDef)}
    found: Dict[str, FunctionSummary] = {}
    for name in sorted(names):
        method = model.callgraph.method(class_def, name)
        if method is not None:
            if id(method) not in known:
                known[id(method)] = _function(model, method)
            found[name] = known[id(method)]
    return found


def _function(model: SemanticModel, function: cst.FunctionDef) -> FunctionSummary:
    params = tuple(p.name.value for p in (*function.params.posonly_params, *function.params.params))
    helper = model.saves.helpers.get(id(function))
    returns_kind = model.kinds.returns_kind(function)
    seeding = model.seeding.helpers.get(id(function))
    return FunctionSummary(
        params=params,
        saves_object=helper.obj_parameter if helper is not None else None,
        saves_path=helper.path_parameter if helper is not None else None,
        forwards_save=helper is not None and helper.forwards,
        builds_checkpoint=helper is not None and helper.obj_parameter is None and not helper.forwards,
        save_guarded=helper is not None and _guarded_inside(model, helper.inner),
        save_per_rank=helper is not None and model.guards.save_depends_on_rank(model.saves.helper_saves[id(function)]),
        returns_kind=returns_kind.kind.value if returns_kind is not None else None,
        returns_parameter=model.kinds.returned_parameter(function) if returns_kind is None else None,
        returns_rank_test=model.guards.returns_rank_test(function),
        returns_rank=model.guards.returns_rank(function),
        seeds=tuple(sorted(seeding[1])) if seeding is not None else (),
        seed_parameter=_seed_parameter(seeding, params) if seeding is not None else None,
        requests_determinism=model.seeding.requests_determinism_in(function),
        starts_process_group=any(
            model.tree.contains(function, site.node) for site in model.calls_to(*catalog.PROCESS_GROUP_STARTS)
        ),
        trains=model.loops.function_trains(function),
        syncs=model.guards.syncs(function),
        sets_epoch=model.distributed.sets_epoch(function),
    )


def _attributes(model: SemanticModel, class_def: cst.ClassDef) -> Dict[str, str]:
    """The kinds of the class's instance attributes that are known: assigned `self.x`, properties,
    and what its bases of other modules give."""
    properties = {
        method.name.value
        for owner in model.callgraph.bases(class_def)
        for method in owner.body.body
        if isinstance(method, cst.FunctionDef) and model.callgraph.property_method(class_def, method.name.value) is method
    }
    names = model.kinds.attributes(class_def) | properties | model.kinds.external_attributes(class_def)
    found: Dict[str, str] = {}
    for name in sorted(names):
        kind = model.kinds.attribute_kind(class_def, name)
        if kind is not None:
            found[name] = kind.kind.value
    return found


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


def _objects(model: SemanticModel) -> Dict[str, ObjectSummary]:
    """Module-level names whose every assignment builds an object of one kind."""
    found: Dict[str, ObjectSummary] = {}
    for name in model.bindings.module_names():
        values = model.bindings.module_values(name)
        kinds = {model.kinds.of(value) for value in values}
        if len(kinds) == 1 and None not in kinds:
            kind = next(iter(kinds))
            found[name] = ObjectSummary(kind.kind.value)  # type: ignore[union-attr]
    return found


def _imports(model: SemanticModel) -> Dict[str, str]:
    """Module-level names bound only by an import, with the qualified name each import gives."""
    found: Dict[str, str] = {}
    for name, bindings in model.scopes.module.bindings.items():
        if bindings and all(b.kind == IMPORT and b.imported for b in bindings) and len({b.imported for b in bindings}) == 1:
            found[name] = bindings[0].imported  # type: ignore[assignment]
    return found
