"""Save sites: `torch.save` in any import form, the saves of Accelerate and Fabric, and helpers.

The catalog's "Save" (revision 2). A *save call* writes an object to a path:
`torch.save(obj, f)`, `ckptlint.runtime.atomic_save(obj, path)`,
`accelerator.save(obj, f)`, Fabric's `fabric.save(path, state)`, a project
`save-functions` entry (a name: with `torch.save`'s signature; a table: with
the parameters it lists, its `obj` and `path` naming the object and the
path), or a call of a *save helper*. A function of this file is a save helper when a save call in its body
receives one of its parameters (and, for the object, does nothing else with it
but log it or look its items up, `model = state["model"]`: it saves what it was
given, unchanged; a training loop that also saves the state it was given is no
helper):
- as the object (`def save_ckpt(state, path): torch.save(state, path)`), or
  everything at once (`def save_on_master(*args, **kwargs): torch.save(*args,
  **kwargs)`): each call of the helper is the save, with the arguments bound
  through it, and the save inside is not checked on its own;
- as the path only, the object being built inside (`def save(self, milestone):
  torch.save({...}, f"model-{milestone}.pt")`): the save inside is the save for
  what is written (`sites`), and each call of the helper is a save of that
  path (`path_sites`).
Helpers are followed through helpers, to a fixed depth. A save into an
in-memory buffer (`buffers.py`) is no checkpoint save for any rule.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Dict, FrozenSet, List, Optional, Set, Tuple

import libcst as cst

from ckptlint.config.settings import SaveFunction
from ckptlint.semantic.core.calls import bind
from ckptlint.semantic.core.module import ModuleCore
from ckptlint.semantic.core.summary import FunctionSummary
from ckptlint.semantic.core.words import last_names
from ckptlint.semantic.core.syntax import callee_name
from ckptlint.semantic.core.tree import parameters
from ckptlint.semantic.data import catalog
from ckptlint.semantic.data.signatures import SIGNATURES, Signature
from ckptlint.semantic.facts.buffers import Buffers

TORCH_SAVE = "torch.save"
# The runtime's atomic write is a save too: what it writes is checked like `torch.save`'s
# (otherwise CKPT109's fix would hide every missing-state finding), but it is atomic.
ATOMIC_SAVES = ("ckptlint.runtime.atomic_save", "ckptlint.runtime.atomic.atomic_save")
# Save functions and the names of their object and path parameters.
SAVE_FUNCTIONS: Dict[str, Tuple[str, str]] = {
    TORCH_SAVE: ("obj", "f"),
    ATOMIC_SAVES[0]: ("obj", "path"),
    ATOMIC_SAVES[1]: ("obj", "path"),
    catalog.ACCELERATOR_SAVE: ("obj", "f"),
    catalog.FABRIC_SAVE: ("state", "path"),
}
# A save is spelled with the last name of its function (`torch.save`, `fabric.save`), or an
# import of it is (`from torch import save as S`).
SAVE_WORDS: FrozenSet[str] = last_names(SAVE_FUNCTIONS)
LOG_CALLS = frozenset({"print", "debug", "info", "warning", "warn", "log", "print_to_log_file"})
_MAX_HELPER_DEPTH = 3


@dataclass(frozen=True, eq=False)
class SaveHelper:
    function: cst.FunctionDef
    inner: cst.Call  # the save call in its body
    obj_parameter: Optional[str]  # None for a path-only helper
    path_parameter: Optional[str]
    forwards: bool = False  # passes `*args, **kwargs` on to the save
    is_method: bool = False
    # Parameters the path is built from (`f"model-{milestone}.pt"`), when it is not one of them.
    path_parameters: Tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class SaveSite:
    """One save, as rules see it: anchored at the call a user wrote."""

    call: cst.Call  # the anchor: the save call, or the helper call
    obj: Optional[cst.BaseExpression]  # the object saved, as an expression at the call site
    path: Optional[cst.BaseExpression]  # the target, at the call site (or inside the helper)
    function: Optional[cst.FunctionDef]  # the call site's function
    class_def: Optional[cst.ClassDef]  # the call site's class (for methods)
    torch_save: cst.Call  # the call that writes (inside the helper for a helper save)
    helper: Optional[SaveHelper] = None
    atomic: bool = False  # written with `ckptlint.runtime.atomic_save`
    saver: str = TORCH_SAVE  # the save function that writes: `torch.save`, `lightning.fabric.Fabric.save`...
    inner_path: Optional[cst.BaseExpression] = None  # the path at the call that writes (inside a helper)
    external: Optional[FunctionSummary] = None  # a save helper of another project module
    guarded_inside: bool = False  # the save runs only under a rank guard inside the helper
    # A call of a helper that builds its path from its parameters: what the call passes for them.
    # The path itself (`path`) is the helper's, written there, not at this call.
    path_arguments: Optional[Dict[str, cst.BaseExpression]] = None
    paths_checked_at_callers: bool = False  # the save inside such a helper: its calls say where it writes

    @property
    def converts_objects(self) -> bool:
        """The save turns model and optimizer objects in the state into their state dicts (Fabric)."""
        return self.saver == catalog.FABRIC_SAVE


class Saves:
    def __init__(self, core: ModuleCore, buffers: Buffers, scope: Optional[Set[int]] = None) -> None:
        """``scope``: the ids of the functions whose calls of other modules' functions count (all,
        when None). Whether a function is a save helper depends only on the saves in it and in the
        functions it runs: a summary asks with those, and builds no summary of a module that only
        the rest of its module calls."""
        self._core = core
        self._buffers = buffers
        self._scope = scope
        self.helpers: Dict[int, SaveHelper] = {}  # by id() of the helper function
        self.helper_saves: Dict[int, SaveSite] = {}  # the save in each helper's body, by id() of the helper
        self.sites: List[SaveSite] = []  # where what is written is checked (101-108, 3xx)
        self.path_sites: List[SaveSite] = []  # where the path is checked (109, 501-505)
        self._build()

    def _build(self) -> None:
        core = self._core
        project = core.project
        if "save" not in core.text and not project.save_functions and core.view is None:
            return  # every save spelling here (`torch.save`, an alias's import, a helper's body) contains it
        described = {entry.name: entry for entry in project.save_signatures}
        direct = [self._direct(site.node, site.qualname) for site in core.calls_to(*SAVE_FUNCTIONS)]
        direct += [
            self._direct(site.node, TORCH_SAVE, described.get(site.qualname))
            for site in core.calls_to(*project.save_functions)
        ]
        direct += self._external_sites()
        frontier = [site for site in direct if not self._buffers.is_buffer(site.path)]
        for depth in range(_MAX_HELPER_DEPTH + 1):
            following: List[SaveSite] = []
            for site in frontier:
                following.extend(self._place(site, may_promote=depth < _MAX_HELPER_DEPTH))
            frontier = following
        order = core.tree.order
        self.sites.sort(key=lambda s: order[s.call])
        self.path_sites.sort(key=lambda s: order[s.call])

    def _place(self, site: SaveSite, may_promote: bool) -> List[SaveSite]:
        """Files ``site`` under `sites` / `path_sites`, or makes its function a helper and returns
        the helper's call sites (saves in their turn)."""
        known = self.helpers.get(id(site.function)) if site.function is not None else None
        if known is not None:  # a second save in a helper whose calls are already filed
            if known.obj_parameter is None and not known.forwards:
                self.sites.append(site)
                if not self._core.callgraph.callers(known.function):
                    self.path_sites.append(site)
            return []
        helper = self._as_helper(site) if may_promote else None
        if helper is None:
            self.sites.append(site)
            self.path_sites.append(site)
            return []
        callers = self._core.callgraph.callers(helper.function)
        self.helpers[id(helper.function)] = helper
        self.helper_saves[id(helper.function)] = site
        calls = [c for c in (self._helper_site(call, helper, site) for call in callers) if c is not None]
        if helper.obj_parameter is None and not helper.forwards:  # path only: the object is built here
            self.sites.append(site)
            if helper.path_parameters:  # the literal parts are written here; the calls choose the rest
                self.path_sites.append(replace(site, paths_checked_at_callers=bool(calls)))
            elif not calls:
                self.path_sites.append(site)
            self.path_sites.extend(calls)
            return []
        return calls

    # -- direct saves ----------------------------------------------------------
    def _direct(self, call: cst.Call, saver: str, described: "Optional[SaveFunction]" = None) -> SaveSite:
        """The save ``call`` of ``saver``, its arguments bound by ``saver``'s signature, or by the
        parameters a `save-functions` table ``described`` lists."""
        if described is not None:
            obj_name, path_name = described.obj, described.path
            signature = Signature(positional=described.parameters)
        else:
            obj_name, path_name = SAVE_FUNCTIONS.get(saver, SAVE_FUNCTIONS[TORCH_SAVE])
            signature = SIGNATURES.get(saver, SIGNATURES[TORCH_SAVE])
        bound = bind(call, signature).by_name
        obj, path = bound.get(obj_name), bound.get(path_name)
        function, class_def = self._function_and_class(call)
        return SaveSite(
            call=call,
            obj=obj.value if obj is not None else None,
            path=path.value if path is not None else None,
            function=function,
            class_def=class_def,
            torch_save=call,
            atomic=saver in ATOMIC_SAVES,
            saver=saver,
            inner_path=path.value if path is not None else None,
        )

    def _external_sites(self) -> List[SaveSite]:
        """Calls of save helpers of other project modules (`utils.save_on_master(state, path)`)."""
        core = self._core
        if core.view is None:
            return []
        found = []
        words = SAVE_WORDS | last_names(core.project.save_functions)
        scope = self._scope
        for call in core.tree.nodes(cst.Call):
            if scope is not None and id(core.tree.enclosing_function(call)) not in scope:
                continue
            external = core.external_function_involving(call, words)
            if external is None or not (
                external.saves_object or external.saves_path or external.forwards_save or external.builds_checkpoint
            ):
                continue
            if external.forwards_save:
                site = self._direct(call, TORCH_SAVE)
            else:
                arguments = core.external_arguments(call)
                function, class_def = self._function_and_class(call)
                site = SaveSite(
                    call=call,
                    obj=arguments.get(external.saves_object) if external.saves_object else None,
                    path=arguments.get(external.saves_path) if external.saves_path else None,
                    function=function,
                    class_def=class_def,
                    torch_save=call,
                )
            found.append(replace(site, external=external, guarded_inside=external.save_guarded))
        return found

    def _function_and_class(self, node: cst.CSTNode) -> Tuple[Optional[cst.FunctionDef], Optional[cst.ClassDef]]:
        function = self._core.tree.enclosing_function(node)
        return function, (self._core.tree.class_of(function) if function is not None else None)

    # -- helpers -------------------------------------------------------------
    def _as_helper(self, site: SaveSite) -> Optional[SaveHelper]:
        function = site.function
        if function is None:
            return None
        params = {p.name.value for p in parameters(function)}
        is_method = self._core.callgraph.self_name(function) is not None
        if self._forwards(site.call, function):
            return SaveHelper(function, site.call, None, None, forwards=True, is_method=is_method)
        obj = self._parameter(site.obj, params, site.call)
        path = self._parameter(site.path, params, site.call)
        if obj is not None and not self._only_saved(function, obj, site.call):
            return None  # a training loop that also saves what it was given is no save helper
        built_from = self._parameters_in(site.path, params, function, site.call) if path is None and obj is None else ()
        if obj is None and path is None and not built_from:
            return None
        return SaveHelper(function, site.call, obj, path, is_method=is_method, path_parameters=built_from)

    def _parameters_in(
        self, path: Optional[cst.BaseExpression], params: Set[str], function: cst.FunctionDef, at: cst.CSTNode
    ) -> Tuple[str, ...]:
        """The parameters (not `self`) the path expression reads, unchanged since the call."""
        if path is None:
            return ()
        self_name = self._core.callgraph.self_name(function)
        found = []
        for name in self._core.tree.nodes_within(path, cst.Name):
            if name.value in params and name.value != self_name and name.value not in found:
                if self._core.scopes.is_read(name) and self._parameter(name, params, at) is not None:
                    found.append(name.value)
        return tuple(found)

    def _only_saved(self, function: cst.FunctionDef, parameter: str, call: cst.Call) -> bool:
        """Every read of ``parameter`` in ``function`` is in the save ``call``, in a log line, or
        looks up one of its items (`model = state["model"]`, to save the config next to it): the
        function's job with that object is to save it as it was given, unchanged."""
        core = self._core
        scope = core.scopes.scope_of_owner(function)
        for read in core.scopes.reads_of(scope, parameter):
            if core.tree.contains(call, read) or core.tree.item_access(read) == "read":
                continue
            around = core.tree.enclosing(read, (cst.Call,))
            if not (isinstance(around, cst.Call) and callee_name(around) in LOG_CALLS):
                return False
        return True

    def _parameter(self, expr: Optional[cst.BaseExpression], params: Set[str], at: cst.CSTNode) -> Optional[str]:
        """The parameter ``expr`` is, unchanged since the function started."""
        if not isinstance(expr, cst.Name) or expr.value not in params:
            return None
        binding = self._core.bindings.reaching(expr.value, at)
        return expr.value if binding is not None and binding.is_parameter else None

    @staticmethod
    def _forwards(call: cst.Call, function: cst.FunctionDef) -> bool:
        """`torch.save(*args, **kwargs)` with the function's own `*args` / `**kwargs`."""
        own = {_name(function.params.star_arg), _name(function.params.star_kwarg)} - {None}
        stars = [a for a in call.args if a.star]
        return bool(stars) and len(stars) == len(call.args) and all(
            isinstance(a.value, cst.Name) and a.value.value in own for a in stars
        )

    def _helper_site(self, call: cst.Call, helper: SaveHelper, inner: SaveSite) -> Optional[SaveSite]:
        if helper.forwards:
            direct = self._direct(call, inner.saver)
            return replace(direct, torch_save=inner.torch_save, helper=helper, atomic=inner.atomic, inner_path=inner.inner_path)
        bound = self._core.callgraph.bind(call, helper.function)
        if bound is None:
            return None
        function, class_def = self._function_and_class(call)
        # The call is the save: what is written and where, as the helper's inner save has them,
        # with the parameters the call fills bound to its arguments.
        at_call = replace(inner, call=call, function=function, class_def=class_def, helper=helper)
        if helper.path_parameters:
            arguments = {p: bound.value(p) for p in helper.path_parameters}
            if any(value is None for value in arguments.values()):
                return None  # the call's path is not known
            return replace(at_call, path_arguments=arguments)
        return replace(
            at_call,
            obj=bound.value(helper.obj_parameter) if helper.obj_parameter is not None else inner.obj,
            path=bound.value(helper.path_parameter) if helper.path_parameter is not None else inner.path,
        )


def _name(param: object) -> Optional[str]:
    return param.name.value if isinstance(param, cst.Param) else None
