"""Save sites: `torch.save` in any import form, and calls of same-file save helpers.

A helper is a function of this file whose body passes one of its parameters
to `torch.save` as the object saved. Its call sites are the saves (the
object and path are the arguments bound to the helper's parameters), and
the `torch.save` inside it is not a save on its own (catalog, "Save
helpers"). Project `save-functions` are saves with `torch.save`'s signature.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

import libcst as cst

from ckptlint.config.settings import ProjectSettings
from ckptlint.semantic.core.bindings import parameters
from ckptlint.semantic.calls import CallSite
from ckptlint.semantic.core.names import LOCAL_PREFIX

if TYPE_CHECKING:
    from ckptlint.semantic.model import SemanticModel

TORCH_SAVE = "torch.save"
# The runtime's atomic write is a save too: what it writes is checked like `torch.save`'s
# (otherwise CKPT109's fix would hide every missing-state finding), but it is atomic.
ATOMIC_SAVES = ("ckptlint.runtime.atomic_save", "ckptlint.runtime.atomic.atomic_save")


@dataclass(frozen=True, eq=False)
class SaveHelper:
    function: cst.FunctionDef
    inner: CallSite  # the `torch.save` in its body
    obj_parameter: str
    path_parameter: Optional[str]
    is_method: bool


@dataclass(frozen=True, eq=False)
class SaveSite:
    """One save, as rules see it: anchored at the call a user wrote."""

    call: cst.Call  # the anchor: `torch.save(...)` or the helper call
    obj: Optional[cst.BaseExpression]  # the object saved, as an expression at the call site
    path: Optional[cst.BaseExpression]  # the target, at the call site (or inside the helper)
    function: Optional[cst.FunctionDef]  # the call site's function
    class_def: Optional[cst.ClassDef]  # the call site's class (for methods)
    torch_save: cst.Call  # the `torch.save` call that writes (inside the helper for a helper save)
    helper: Optional[SaveHelper] = None
    atomic: bool = False  # written with `ckptlint.runtime.atomic_save`


class Saves:
    def __init__(self, model: "SemanticModel", project: ProjectSettings) -> None:
        self._model = model
        self.helpers: Dict[str, SaveHelper] = {}
        self.sites: List[SaveSite] = []
        self._build(project)

    def _build(self, project: ProjectSettings) -> None:
        model = self._model
        if "save" not in model.text and not project.save_functions:
            return  # every save spelling (`torch.save`, an alias's import, a helper's body) contains it
        direct = model.calls_to(TORCH_SAVE, *ATOMIC_SAVES)
        for site in direct:
            helper = self._as_helper(site)
            if helper is not None:
                self.helpers[helper.function.name.value] = helper
        helper_functions = {id(h.function) for h in self.helpers.values()}
        for site in direct:
            if site.function is None or id(site.function) not in helper_functions:
                self.sites.append(self._direct(site))
        for site in model.calls_to(*project.save_functions) if project.save_functions else ():
            self.sites.append(self._direct(site, signature_of=TORCH_SAVE))
        if self.helpers:
            for indexed in model.index.calls:
                helper = self._helper_called(indexed.node)
                if helper is not None:
                    self.sites.append(self._helper_site(indexed.node, helper))
        self.sites.sort(key=lambda s: model.span(s.call).start_offset)

    def _function_and_class(self, node: cst.CSTNode) -> Tuple[Optional[cst.FunctionDef], Optional[cst.ClassDef]]:
        bindings = self._model.bindings
        function = bindings.enclosing_function(node)
        return function, (bindings.enclosing_class(function) if function is not None else None)

    def _direct(self, site: CallSite, signature_of: Optional[str] = None) -> SaveSite:
        if signature_of is not None:
            site = CallSite(site.node, signature_of, site.function, site.class_def, site.is_expression_statement)
        obj, path = site.arg("obj"), _path_arg(site)
        function, class_def = self._function_and_class(site.node)
        return SaveSite(
            call=site.node,
            obj=obj.value if obj is not None else None,
            path=path.value if path is not None else None,
            function=function,
            class_def=class_def,
            torch_save=site.node,
            atomic=site.qualname in ATOMIC_SAVES,
        )

    def _as_helper(self, site: CallSite) -> Optional[SaveHelper]:
        function = site.function
        obj = site.arg("obj")
        if not isinstance(function, cst.FunctionDef) or obj is None or not isinstance(obj.value, cst.Name):
            return None
        names = [p.name.value for p in parameters(function)]
        if obj.value.value not in names:
            return None
        if self._model.bindings.reaching(obj.value.value, site.node) is None:
            return None  # reassigned on some path: not simply "the argument"
        path = _path_arg(site)
        path_parameter = None
        if path is not None and isinstance(path.value, cst.Name) and path.value.value in names:
            path_parameter = path.value.value
        is_method = self._model.bindings.enclosing_class(function) is not None
        return SaveHelper(function, site, obj.value.value, path_parameter, is_method)

    def _helper_called(self, call: cst.Call) -> Optional[SaveHelper]:
        func = call.func
        if isinstance(func, cst.Name):
            helper = self.helpers.get(func.value)
            if helper is not None and not helper.is_method and self._model.qualname(func) == LOCAL_PREFIX + func.value:
                return helper
        elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self":
            helper = self.helpers.get(func.attr.value)
            if helper is not None and helper.is_method:
                function, class_def = self._function_and_class(call)
                if class_def is not None and self._model.bindings.enclosing_class(helper.function) is class_def:
                    return helper
        return None

    def _helper_site(self, call: cst.Call, helper: SaveHelper) -> SaveSite:
        bound = bind_to_function(call, helper.function, skip_first=helper.is_method)
        inner_path = _path_arg(helper.inner)
        if helper.path_parameter is not None:
            path = bound.get(helper.path_parameter)
            if path is None:
                default = next(
                    (p.default for p in parameters(helper.function) if p.name.value == helper.path_parameter), None
                )
                path = default
        else:
            path = inner_path.value if inner_path is not None else None
        function, class_def = self._function_and_class(call)
        return SaveSite(
            call=call,
            obj=bound.get(helper.obj_parameter),
            path=path,
            function=function,
            class_def=class_def,
            torch_save=helper.inner.node,
            helper=helper,
            atomic=helper.inner.qualname in ATOMIC_SAVES,
        )


def _path_arg(site: CallSite) -> Optional[cst.Arg]:
    return site.arg("f") or site.arg("path")


def bind_to_function(call: cst.Call, function: cst.FunctionDef, skip_first: bool = False) -> Dict[str, cst.BaseExpression]:
    """The argument expressions of ``call`` by parameter name of ``function``."""
    positional = [p.name.value for p in (*function.params.posonly_params, *function.params.params)]
    if skip_first:
        positional = positional[1:]
    bound: Dict[str, cst.BaseExpression] = {}
    index = 0
    for arg in call.args:
        if arg.star:
            break
        if arg.keyword is not None:
            bound[arg.keyword.value] = arg.value
        elif index < len(positional):
            bound[positional[index]] = arg.value
            index += 1
    return bound
