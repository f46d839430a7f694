"""What a save writes that `torch.load(weights_only=True)` refuses to read back (CKPT202's precondition).

`weights_only=True` rebuilds tensors, primitive types and containers of them;
any other class in the file makes the load fail. A value is *refused* when
the module shows what makes it:
- an `argparse.Namespace` (`parser.parse_args()`, `parse_known_args()[0]`,
  `argparse.Namespace(...)`), a `pathlib` path, a `packaging` version, a
  `datetime`, `torch.__version__`, any numpy value (`np.mean(...)`,
  `np.random.get_state()`): the classes `ckptlint inspect` names for such a
  file (`inspection/layouts.py: UNSAFE_GLOBAL_ADVICE`);
- a model, optimizer, scheduler or other object of a known kind itself,
  rather than its `state_dict()` (unless the save converts objects, as
  Fabric's does), and an instance of a class of this file;
- anything in a tuple, list, set or dict that is refused, and anything that
  a name or `self.x` in the checkpoint is assigned (in any branch), handed
  as an argument by every caller, or appended (`self.losses.append(
  np.mean(batch_losses))` makes `"plot_stuff": (self.losses, ...)` refused).
What the module cannot see (a value from another module, `**kwargs`) is not
refused: the fix stays, as unsafe as the catalog says it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import libcst as cst

from ckptlint.semantic.core.module import ModuleCore
from ckptlint.semantic.core.syntax import is_state_dict_call
from ckptlint.semantic.facts.kinds import ObjectKinds
from ckptlint.semantic.facts.saves import SaveSite

NAMESPACE = "argparse.Namespace"
# Values `weights_only=True` refuses, by the qualified name of what makes them (a call's callee,
# or an attribute), with the class the unpickler names.
REFUSED_VALUES = {
    "pathlib.Path": "pathlib.PosixPath",
    "pathlib.PosixPath": "pathlib.PosixPath",
    "pathlib.WindowsPath": "pathlib.PosixPath",
    "argparse.Namespace": NAMESPACE,
    "torch.__version__": "torch.torch_version.TorchVersion",
    "packaging.version.parse": "packaging.version.Version",
    "packaging.version.Version": "packaging.version.Version",
    "datetime.datetime.now": "datetime.datetime",
    "datetime.datetime.today": "datetime.datetime",
    "datetime.datetime.utcnow": "datetime.datetime",
}
_ADDERS = frozenset({"append", "add", "insert"})
_MAX_DEPTH = 3


@dataclass(frozen=True)
class Unreadable:
    """A value `weights_only=True` cannot read back."""

    key: Optional[str]  # the entry's key path (`"plot_stuff"`); None: the saved object itself
    value: cst.BaseExpression  # the entry's value
    refused: str  # the class the unpickler refuses: `argparse.Namespace`, `a numpy value`...
    culprit: cst.BaseExpression  # what makes it (`np.mean(train_losses)`, `parser.parse_args()`)


Found = Optional[Tuple[str, cst.BaseExpression]]
# A checkpoint entry as this module needs it: its key path and its value.
EntryValue = Tuple[Tuple[Optional[str], ...], cst.BaseExpression]


class WeightsOnlyValues:
    def __init__(self, core: ModuleCore, kinds: ObjectKinds) -> None:
        self._core = core
        self._kinds = kinds

    def unreadable(self, save: SaveSite, entries: Optional[Sequence[EntryValue]], whole: bool) -> Tuple[Unreadable, ...]:
        """The values ``save`` writes that are refused: its ``entries`` when it writes a dict (None
        when not), and the saved object itself when ``whole`` (not a dict, or one that spreads an
        unknown mapping)."""
        if whole and save.obj is not None:
            found = self._refused(save.obj, save.call, save)
            if found is not None:
                return (Unreadable(None, save.obj, found[0], found[1]),)
        refused = []
        for path, value in entries or ():
            found = self._refused(value, value, save)
            if found is not None:
                key = "][".join(f'"{k}"' if k is not None else "?" for k in path) if path else None
                refused.append(Unreadable(key, value, found[0], found[1]))
        return tuple(refused)

    def _refused(self, value: cst.BaseExpression, at: cst.CSTNode, save: SaveSite, depth: int = 0) -> Found:
        """What ``value`` holds that is refused, and the expression that makes it (module docstring)."""
        if is_state_dict_call(value) or depth > _MAX_DEPTH:
            return None
        if isinstance(value, (cst.Tuple, cst.List, cst.Set, cst.Dict)):
            return self._first([e.value for e in value.elements], save, depth)
        if isinstance(value, cst.Call) and self._core.qualname(value.func) == "builtins.dict":
            return self._first([a.value for a in value.args], save, depth)  # `dict(model=..., version=...)`
        if isinstance(value, (cst.Name, cst.Attribute)):
            found = self._held(value, at, save, depth)
            if found is not None:
                return found
        refused = self._made(value, save)
        return (refused, value) if refused is not None else None

    def _made(self, value: cst.BaseExpression, save: SaveSite) -> Optional[str]:
        """The refused class ``value`` is made as, from its own expression."""
        if not save.converts_objects and isinstance(value, (cst.Name, cst.Attribute, cst.Call)):
            kind = self._kinds.of(value)
            if kind is not None:
                return f"a {kind.kind.value} object, not its state dict"
        name = self._core.qualname(value.func if isinstance(value, cst.Call) else value) or ""
        if name in REFUSED_VALUES:
            return REFUSED_VALUES[name]
        if not isinstance(value, cst.Call):
            return None
        if isinstance(value.func, cst.Attribute) and value.func.attr.value == "parse_args":
            return NAMESPACE
        if name.startswith("numpy."):
            return "a numpy value"
        target = self._core.callgraph.target(value)
        if isinstance(target, cst.ClassDef):
            return f"`{target.name.value}` (a class of this file)"
        return None

    def _first(self, values: List[cst.BaseExpression], save: SaveSite, depth: int) -> Found:
        for value in values:
            found = self._refused(value, value, save, depth + 1)
            if found is not None:
                return found
        return None

    def _held(self, value: cst.BaseExpression, at: cst.CSTNode, save: SaveSite, depth: int) -> Found:
        """What a name or `self.x` holds: what it is assigned, passed, and appended."""
        core = self._core
        values: List[cst.BaseExpression] = []
        if isinstance(value, cst.Name):
            binding = core.bindings.reaching(value.value, at)
            if binding is None:  # assigned in branches: what any of them holds
                values.extend(b.value for b in core.bindings.candidates(value.value, at) if b.value is not None)
            elif binding.value is not None:
                values.append(binding.value)
            elif binding.unpacked_from is not None and binding.position == 0 and _parses_known_args(binding.unpacked_from):
                return NAMESPACE, binding.unpacked_from  # `args, unknown = parser.parse_known_args()`
            elif binding.is_parameter and isinstance(binding.node, cst.Param):
                return self._passed(binding.node, save, depth)
        else:
            class_def = self._self_class(value)  # type: ignore[arg-type]
            if class_def is None:
                return None
            attribute = value.attr.value  # type: ignore[attr-defined]
            for owner in core.callgraph.bases(class_def):
                values.extend(b.value for b in core.bindings.attribute_bindings(owner, attribute) if b.value is not None)
        values.extend(self._appended_to(value))
        return self._first(values, save, depth)

    def _self_class(self, attribute: cst.Attribute) -> Optional[cst.ClassDef]:
        function = self._core.tree.enclosing_function(attribute)
        if function is None or not isinstance(attribute.value, cst.Name):
            return None
        if self._core.callgraph.self_name(function) != attribute.value.value:
            return None
        return self._core.tree.class_of(function)

    def _appended_to(self, container: cst.BaseExpression) -> List[cst.BaseExpression]:
        """What `<container>.append(v)` / `.add(v)` / `.insert(i, v)` put in it: in the same function
        for a name, anywhere in the class for `self.x`."""
        core = self._core
        spelling = core.code(container)
        if isinstance(container, cst.Attribute):
            scope, owner = None, self._self_class(container)
        else:
            scope, owner = core.tree.enclosing_function(container), None
        found = []
        for call in core.tree.nodes(cst.Call):
            func = call.func
            if not (isinstance(func, cst.Attribute) and func.attr.value in _ADDERS and call.args):
                continue
            if core.code(func.value) != spelling:
                continue
            function = core.tree.enclosing_function(call)
            if owner is None and function is not scope:
                continue
            if owner is not None and (function is None or core.tree.class_of(function) is not owner):
                continue
            found.append(call.args[-1].value)
        return found

    def _passed(self, param: cst.Param, save: SaveSite, depth: int) -> Found:
        """What the calls of the parameter's function pass for it, when they all agree it is refused."""
        function = self._core.parent(self._core.parent(param))  # type: ignore[arg-type]
        if not isinstance(function, cst.FunctionDef):
            return None
        found = []
        for call in self._core.callgraph.callers(function):
            bound = self._core.callgraph.bind(call, function)
            argument = bound.value(param.name.value) if bound is not None else None
            found.append(self._refused(argument, argument, save, depth + 1) if argument is not None else None)
        if not found or any(f is None for f in found) or len({f[0] for f in found if f is not None}) != 1:
            return None
        return found[0]


def _parses_known_args(value: cst.BaseExpression) -> bool:
    return isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value == "parse_known_args"
