"""What a binding is: a model (maybe wrapped), optimizer, scheduler, scaler...

`ObjectKinds.of(expr)` classifies an expression through its reaching
binding (statement order, `self.x` per class), imports and aliases, the
file's own `nn.Module` subclasses, and the catalog data extended by the
project's `model-classes` / `optimizer-classes`. When it cannot tell, or the
candidates disagree, the answer is None and rules stay silent.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, FrozenSet, Optional

import libcst as cst

from ckptlint.config.settings import ProjectSettings
from ckptlint.semantic import catalog
from ckptlint.semantic.core.bindings import Binding
from ckptlint.semantic.core.names import LOCAL_PREFIX

if TYPE_CHECKING:
    from ckptlint.semantic.model import SemanticModel


class Kind(enum.Enum):
    MODEL = "model"
    OPTIMIZER = "optimizer"
    SCHEDULER = "scheduler"
    SCALER = "scaler"
    SAMPLER = "sampler"
    DATALOADER = "dataloader"


@dataclass(frozen=True)
class ObjectKind:
    kind: Kind
    wrap: Optional[str] = None  # "ddp", "dp", "fsdp", "compile" for a wrapped model

    @property
    def unwrap_attribute(self) -> Optional[str]:
        return catalog.UNWRAP_ATTRIBUTE.get(self.wrap) if self.wrap else None


MODEL = ObjectKind(Kind.MODEL)


class ObjectKinds:
    def __init__(self, model: "SemanticModel", project: ProjectSettings) -> None:
        self._model = model
        self._project = project
        self._local_classes: Dict[str, cst.ClassDef] = {
            f"{LOCAL_PREFIX}{s.name.value}": s for s in model.module.body if isinstance(s, cst.ClassDef)
        }
        self._class_kinds: Dict[str, Optional[Kind]] = {}

    # -- classes -----------------------------------------------------------
    def class_kind(self, qualname: Optional[str]) -> Optional[Kind]:
        """The kind of instance a class (or factory) named ``qualname`` builds."""
        if qualname is None:
            return None
        if qualname not in self._class_kinds:
            self._class_kinds[qualname] = None  # guards against cyclic local bases
            self._class_kinds[qualname] = self._compute_class_kind(qualname)
        return self._class_kinds[qualname]

    def _compute_class_kind(self, q: str) -> Optional[Kind]:
        last = q.rsplit(".", 1)[-1]
        project = self._project
        if q in project.model_classes or q in catalog.MODULE_CLASSES or q in catalog.MODEL_FACTORIES:
            return Kind.MODEL
        if q in project.optimizer_classes or q in catalog.KNOWN_OPTIMIZERS:
            return Kind.OPTIMIZER
        if q.startswith(catalog.SCHEDULER_PREFIXES) or q in catalog.SCHEDULER_CLASSES:
            return Kind.SCHEDULER if last[:1].isupper() or last.startswith("get_") else None
        if catalog.SCHEDULE_FACTORY.fullmatch(last):
            return Kind.SCHEDULER
        if q in catalog.SCALER_CLASSES:
            return Kind.SCALER
        if q in catalog.SAMPLER_CLASSES:
            return Kind.SAMPLER
        if q in catalog.DATALOADER_CLASSES:
            return Kind.DATALOADER
        parts = q.split(".")
        if len(parts) == 3 and parts[:2] == ["torch", "nn"] and last[:1].isupper() and last != "Parameter":
            return Kind.MODEL
        if len(parts) == 3 and parts[:2] == ["torch", "optim"] and last[:1].isupper():
            return Kind.OPTIMIZER
        if q.startswith(catalog.OPTIMIZER_PREFIXES) and last[:1].isupper() or last.endswith("Optimizer"):
            return Kind.OPTIMIZER
        if q.startswith(catalog.MODEL_FACTORY_PREFIXES) and not catalog.NOT_MODEL_FACTORIES.match(q):
            return Kind.MODEL
        if q.startswith("transformers.") and "Model" in last:
            return Kind.MODEL
        local = self._local_classes.get(q)
        if local is not None:
            for base in local.bases:
                kind = self.class_kind(self._model.qualname(base.value))
                if kind is not None:
                    return kind
        return None

    # -- expressions -------------------------------------------------------
    def of(self, expr: cst.BaseExpression) -> Optional[ObjectKind]:
        return self._of(expr, frozenset())

    def _of(self, expr: cst.BaseExpression, seen: FrozenSet[int]) -> Optional[ObjectKind]:
        if id(expr) in seen:
            return None
        seen = seen | {id(expr)}
        if isinstance(expr, cst.Call):
            return self._of_call(expr, seen)
        if isinstance(expr, cst.Name):
            return self.of_binding(self._model.bindings.reaching(expr.value, expr), seen)
        if isinstance(expr, cst.Attribute):
            inner = self._self_attribute(expr, seen)
            if inner is not None:
                return inner
            owner = self._of(expr.value, seen)
            if owner is not None and owner.wrap is not None and expr.attr.value == owner.unwrap_attribute:
                return MODEL
            return None
        if isinstance(expr, cst.IfExp):
            body, orelse = self._of(expr.body, seen), self._of(expr.orelse, seen)
            return body if body == orelse else None
        return None

    def _of_call(self, call: cst.Call, seen: FrozenSet[int]) -> Optional[ObjectKind]:
        qualname = self._model.qualname(call.func)
        if qualname in catalog.WRAPS:
            return ObjectKind(Kind.MODEL, wrap=catalog.WRAPS[qualname])
        if isinstance(call.func, cst.Attribute):
            method = call.func.attr.value
            if method in catalog.SAME_OBJECT_METHODS:
                receiver = self._of(call.func.value, seen)
                return receiver if receiver is not None and receiver.kind is Kind.MODEL else None
            if method == "from_pretrained" and qualname and qualname.startswith("transformers."):
                return MODEL if "Model" in qualname else None
        kind = self.class_kind(qualname)
        return ObjectKind(kind) if kind is not None else None

    def of_binding(self, binding: Optional[Binding], seen: FrozenSet[int] = frozenset()) -> Optional[ObjectKind]:
        if binding is None:
            return None
        if binding.value is not None:
            return self._of(binding.value, seen)
        if binding.annotation is not None:  # `optimizer: torch.optim.Optimizer`
            kind = self.class_kind(self._model.qualname(binding.annotation))
            return ObjectKind(kind) if kind is not None else None
        return None

    def _self_attribute(self, expr: cst.Attribute, seen: FrozenSet[int]) -> Optional[ObjectKind]:
        """`self.x` in a method: every (non-None) assignment in the class must agree."""
        if not isinstance(expr.value, cst.Name):
            return None
        function = self._model.bindings.enclosing_function(expr)
        if function is None:
            return None
        class_def = self._model.bindings.enclosing_class(function)
        params = function.params.params
        if class_def is None or not params or params[0].name.value != expr.value.value:
            return None
        return self.attribute_kind(class_def, expr.attr.value, seen)

    def attribute_kind(
        self, class_def: cst.ClassDef, attribute: str, seen: FrozenSet[int] = frozenset()
    ) -> Optional[ObjectKind]:
        candidates = [
            b for b in self._model.bindings.attribute_bindings(class_def, attribute) if not _is_none(b.value)
        ]
        kinds = {self.of_binding(b, seen) for b in candidates}
        if len(kinds) == 1:
            return next(iter(kinds))
        return None


def _is_none(value: Optional[cst.BaseExpression]) -> bool:
    return isinstance(value, cst.Name) and value.value == "None"
