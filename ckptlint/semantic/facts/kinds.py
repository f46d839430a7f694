"""What an object is: a model (maybe wrapped), optimizer, scheduler, scaler, sampler, loader.

The catalog's "Kinds" (revision 2), from how an object is built, used and passed:
- **built**: an instance of a class the catalog knows (extended by the
  project's `model-classes` / `optimizer-classes`), of a same-file class
  deriving from one, a known factory (`timm.create_model`, `torchvision.models.*`,
  `models.__dict__[name](...)`), a same-file function all of whose returns are
  one kind (a factory), `.to()`/`.cuda()` of a model, a wrap (DDP, DataParallel,
  FSDP, `torch.compile`); `accelerator.prepare(...)`/`fabric.setup(...)` keep
  their arguments' kinds, in order;
- **used**: a name (the binding that reaches it, or `self.x`) whose `.parameters()` feeds an optimizer's
  constructor is a model, so is the first argument of a wrap or of
  `fully_shard`; the first argument of a scheduler's constructor is an optimizer; an
  argument of a framework method that takes one kind by its signature
  (`fabric.setup(model, *optimizers)`, `fabric.setup_optimizers(opt)`,
  `scaler.step(optimizer)`: `catalog.TYPED_ARGUMENTS`) has that kind;
- **passed**: an unannotated parameter has the kind every call of its function
  in the file passes (at least one call); an annotated one its annotation's.
`self.x` has the kind every (non-None) assignment of it in the class and its
same-file bases agrees on; one that no method assigns, the kind a `@property`
of that name returns, or the class body's annotation of it (a dataclass field),
or what a base class of another project module gives it (its summary). `x.attr`
of an instance of a same-file class (built there, or a parameter annotated with
it) is that class's attribute. When the answer is unknown, or candidates
disagree, it is None and rules stay silent.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cached_property
from typing import Dict, FrozenSet, List, Optional, Set, Tuple

import libcst as cst

from ckptlint.semantic.core.bindings import Binding
from ckptlint.semantic.core.module import ModuleCore
from ckptlint.semantic.core.summary import ClassSummary, FunctionSummary, ObjectSummary, Symbol
from ckptlint.semantic.core.syntax import is_name
from ckptlint.semantic.data import catalog
from ckptlint.semantic.data.aliases import canonical


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
# The prefix each wrap gives the keys of its `state_dict()`.
UNWRAP_PREFIX = {"ddp": "module.", "dp": "module.", "fsdp": "module.", "compile": "_orig_mod."}
# The wrap of a model that branches wrap differently (`DataParallel(model)` in one, the model in
# the other): a model, whose keys' prefix is unknown.
MIXED_WRAP = "mixed"
OPTIMIZER = ObjectKind(Kind.OPTIMIZER)
# What a use gives a kind to: a binding (id of its node, name), or a `self.x` attribute of a
# class, every assignment of it (id of the class, "self.x").
UseKey = Tuple[int, str]
Seen = FrozenSet[int]
# Methods that hand back what they are given, in order (`model, opt = accelerator.prepare(model, opt)`).
PASSTHROUGH_METHODS = frozenset(
    {"prepare", "setup", "unwrap_model", "prepare_model", "prepare_optimizer", "setup_module", "setup_optimizers"}
)
PASSTHROUGH_OWNERS = ("accelerate.", "lightning.", "lightning_fabric.", "pytorch_lightning.")


class ObjectKinds:
    def __init__(self, core: ModuleCore) -> None:
        self._core = core
        self._project = core.project
        self._class_kinds: Dict[str, Optional[Kind]] = {}
        self._class_def_kinds: Dict[int, Optional[Kind]] = {}
        self._returns: Dict[int, Optional[ObjectKind]] = {}
        self._attributes: Dict[Tuple[int, str], Optional[ObjectKind]] = {}

    # -- classes -----------------------------------------------------------
    def class_kind(self, qualname: Optional[str], by_name: bool = True) -> Optional[Kind]:
        """The kind of instance a class (or factory) named ``qualname`` builds. ``by_name`` also counts
        the catalog's naming rule, a class whose own name ends in `Optimizer` (not inherited: a
        project's `class Adam(Optimizer)` wrapper around a torch optimizer is no optimizer itself)."""
        if qualname is None:
            return None
        if qualname not in self._class_kinds:
            self._class_kinds[qualname] = self._compute_class_kind(qualname)
        found = self._class_kinds[qualname]
        if found is None and by_name and qualname.rsplit(".", 1)[-1].endswith("Optimizer"):
            return Kind.OPTIMIZER
        return found

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
        if q.startswith(catalog.OPTIMIZER_PREFIXES) and last[:1].isupper():
            return Kind.OPTIMIZER
        if q.startswith(catalog.MODEL_FACTORY_PREFIXES) and not catalog.NOT_MODEL_FACTORIES.match(q):
            return Kind.MODEL
        if q.startswith("transformers.") and "Model" in last:
            return Kind.MODEL
        return None

    def class_def_kind(self, class_def: cst.ClassDef) -> Optional[Kind]:
        """The kind of a same-file class's instances: that of its first base with a kind (a base
        from another project module counts by its summary)."""
        key = id(class_def)
        if key not in self._class_def_kinds:
            self._class_def_kinds[key] = None  # guards against cyclic bases
            found = None
            for base in class_def.bases:
                found = self.class_kind(self._core.qualname(base.value), by_name=False)
                if found is None and isinstance(base.value, cst.Name):
                    local = self._core.callgraph.definition(base.value)
                    found = self.class_def_kind(local) if isinstance(local, cst.ClassDef) else None
                if found is None:
                    external = _summary_kind(self._core.external(base.value), constructed=True)
                    found = external.kind if external is not None else None
                if found is not None:
                    break
            self._class_def_kinds[key] = found
        return self._class_def_kinds[key]

    def annotation_kind(self, annotation: cst.BaseExpression) -> Optional[Kind]:
        """The kind of instance an annotation names (`X | None` and `Optional[X]` name `X`): a class
        the catalog knows, a same-file class, or a class of another project module (its summary)."""
        annotation = _without_none(annotation)
        kind = self.class_kind(self._core.qualname(annotation))
        if kind is None and isinstance(annotation, cst.Name):
            local = self._core.callgraph.definition(annotation)
            kind = self.class_def_kind(local) if isinstance(local, cst.ClassDef) else None
        if kind is None:
            symbol = self._core.external(annotation)
            kind = Kind(symbol.kind) if isinstance(symbol, ClassSummary) and symbol.kind is not None else None
        return kind

    # -- expressions -------------------------------------------------------
    def of(self, expr: cst.BaseExpression) -> Optional[ObjectKind]:
        return self._of(expr, frozenset())

    def of_keeping_wrap(self, expr: cst.BaseExpression) -> Optional[ObjectKind]:
        """As `of`, except that `wrapped.module` (`._orig_mod` of a compiled model) keeps the kind of
        the wrap it unwraps, where `of` gives a plain model: a state dict loaded into
        `ddp_model.module` is loaded into the DDP-wrapped model (CKPT304)."""
        if isinstance(expr, cst.Attribute):
            owner = self.of(expr.value)
            if owner is not None and owner.wrap is not None and expr.attr.value == owner.unwrap_attribute:
                return owner
        return self.of(expr)

    def _of(self, expr: cst.BaseExpression, seen: Seen) -> Optional[ObjectKind]:
        if id(expr) in seen:
            return None
        seen = seen | {id(expr)}
        if isinstance(expr, cst.Call):
            return self._of_call(expr, seen)
        if isinstance(expr, cst.Name):
            parent = self._core.parent(expr)
            dereferenced = isinstance(parent, cst.Attribute) and parent.value is expr
            found = self._of_name(expr.value, expr, dereferenced, seen)
            return found or _summary_kind(self._core.external(expr), constructed=False)
        if isinstance(expr, cst.Attribute):
            inner = self._self_attribute(expr, seen) or self._instance_attribute(expr, seen)
            if inner is not None:
                return inner
            owner = self._of(expr.value, seen)
            if owner is not None and owner.wrap is not None and expr.attr.value == owner.unwrap_attribute:
                return MODEL
            return None
        if isinstance(expr, cst.IfExp):  # `DDP(model) if distributed else model`: both are models
            return _agree({self._of(expr.body, seen), self._of(expr.orelse, seen)})
        return None

    def of_name(self, name: str, at: cst.CSTNode) -> Optional[ObjectKind]:
        """The kind of the variable ``name`` at ``at`` (built, used or passed; every branch agreeing),
        where ``at`` need not read it: the kind `of` gives a read of ``name`` there. A name some path
        to ``at`` leaves unassigned has none (`if train: optimizer = ...`)."""
        if self._core.bindings.maybe_unbound(name, at):
            return None
        return self._of_name(name, at, False, frozenset())

    def _of_name(self, name: str, at: cst.CSTNode, dereferenced: bool, seen: Seen) -> Optional[ObjectKind]:
        binding = self._core.bindings.reaching(name, at)
        if binding is None:
            return self._every_branch(name, at, dereferenced, seen)
        return self.of_binding(binding, seen) or self._used_as(_binding_key(binding))

    def _every_branch(self, name: str, at: cst.CSTNode, dereferenced: bool, seen: Seen) -> Optional[ObjectKind]:
        """A branch-dependent name has a kind when every branch gives it the same one (catalog,
        "Names"). A branch that assigns `None` does not count where the name is dereferenced
        (`optimizer.state_dict()`: it is not None there)."""
        candidates = self._core.bindings.candidates(name, at)
        if dereferenced:
            candidates = tuple(b for b in candidates if not is_name(b.value, "None"))
        kinds = set()
        for binding in candidates:
            found = self.of_binding(binding, seen)
            kinds.add(found if found is not None else self._used_as(_binding_key(binding)))
            if None in kinds:
                return None
        return _agree(kinds)

    def _of_call(self, call: cst.Call, seen: Seen) -> Optional[ObjectKind]:
        qualname = self._core.qualname(call.func)
        if qualname in catalog.WRAPS:
            return ObjectKind(Kind.MODEL, wrap=catalog.WRAPS[qualname])
        func = call.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method in catalog.SAME_OBJECT_METHODS:
                receiver = self._of(func.value, seen)
                return receiver if receiver is not None and receiver.kind is Kind.MODEL else None
            if method == "from_pretrained" and qualname and qualname.startswith("transformers."):
                return MODEL if "Model" in qualname else None
            if self._is_passthrough(call) and len(call.args) == 1 and not call.args[0].star:
                return self._of(call.args[0].value, seen)
        if isinstance(func, cst.Subscript) and self._is_model_registry(func):
            return MODEL
        kind = self.class_kind(qualname)
        if kind is not None:
            return ObjectKind(kind)
        target = self._core.callgraph.target(call)
        if isinstance(target, cst.ClassDef):
            local = self.class_def_kind(target)
            return ObjectKind(local) if local is not None else None
        if isinstance(target, cst.FunctionDef):
            found = self._factory_kind(target, seen)
            if found is None:
                parameter = self.returned_parameter(target)
                bound = self._core.callgraph.bind(call, target) if parameter is not None else None
                argument = bound.value(parameter) if bound is not None else None  # type: ignore[arg-type]
                found = self._of(argument, seen) if argument is not None else None
            return found
        symbol = self._core.external(call.func)
        found = _summary_kind(symbol, constructed=True)
        if found is None and isinstance(symbol, FunctionSummary) and symbol.returns_parameter is not None:
            argument = self._core.external_arguments(call).get(symbol.returns_parameter)
            found = self._of(argument, seen) if argument is not None else None
        return found

    def returned_parameter(self, function: cst.FunctionDef) -> Optional[str]:
        """The parameter that every return of ``function`` gives back, itself or through methods
        that return the same object (`return model.to(device)`): what a call of it returns is
        what the call passes there."""
        returns = self._core.callgraph.returns(function)
        names = {self._parameter_returned(value, 0) if value is not None else None for value in returns}
        found = next(iter(names)) if len(names) == 1 else None
        return found if found != self._core.callgraph.self_name(function) else None

    def _parameter_returned(self, value: cst.BaseExpression, depth: int) -> Optional[str]:
        while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value in catalog.SAME_OBJECT_METHODS:
            value = value.func.value
        if not isinstance(value, cst.Name):
            return None
        binding = self._core.bindings.reaching(value.value, value)
        if binding is None:
            return None
        if binding.is_parameter:
            return value.value if isinstance(binding.node, cst.Param) else None
        return self._parameter_returned(binding.value, depth + 1) if binding.value is not None and depth < 2 else None

    def _is_model_registry(self, func: cst.Subscript) -> bool:
        """`models.__dict__[name]` of torchvision (the ImageNet example's `--arch`)."""
        value = func.value
        if not (isinstance(value, cst.Attribute) and value.attr.value == "__dict__"):
            return False
        owner = self._core.qualname(value.value)
        return owner is not None and (owner == "torchvision.models" or owner.startswith(catalog.MODEL_FACTORY_PREFIXES))

    def _is_passthrough(self, call: cst.Call) -> bool:
        """`accelerator.prepare(...)`, `fabric.setup(...)`: the same objects, prepared, in order."""
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in PASSTHROUGH_METHODS:
            return False
        owner = self._core.instance_type(func.value)
        return owner is not None and owner.startswith(PASSTHROUGH_OWNERS)

    def returns_kind(self, function: cst.FunctionDef) -> Optional[ObjectKind]:
        """The kind all of ``function``'s returns have (a factory), if one."""
        return self._factory_kind(function, frozenset())

    def _factory_kind(self, function: cst.FunctionDef, seen: Seen) -> Optional[ObjectKind]:
        """A same-file function all of whose returns have one kind."""
        key = id(function)
        if key not in self._returns:
            self._returns[key] = None  # guards against recursion
            returns = self._core.callgraph.returns(function)
            kinds = {self._of(value, seen) if value is not None else None for value in returns}
            self._returns[key] = next(iter(kinds)) if len(kinds) == 1 else None
        return self._returns[key]

    def of_binding(self, binding: Optional[Binding], seen: Seen = frozenset()) -> Optional[ObjectKind]:
        if binding is None:
            return None
        if binding.value is not None:
            return self._of(binding.value, seen)
        if binding.unpacked_from is not None and binding.position is not None:
            return self._element(binding.unpacked_from, binding.position, seen)
        if binding.annotation is not None:  # `optimizer: torch.optim.Optimizer`, `Optimizer | None`
            kind = self.annotation_kind(binding.annotation)
            if kind is not None or not binding.is_parameter:
                return ObjectKind(kind) if kind is not None else None
        if binding.is_parameter and isinstance(binding.node, cst.Param):
            return self._passed(binding.node, seen)
        return None

    def _element(self, value: cst.BaseExpression, position: int, seen: Seen) -> Optional[ObjectKind]:
        """The kind of element ``position`` of ``value`` (`a, b = value`)."""
        if isinstance(value, (cst.Tuple, cst.List)):
            elements = value.elements
            if position < len(elements) and not any(isinstance(e, cst.StarredElement) for e in elements):
                return self._of(elements[position].value, seen)
            return None
        if isinstance(value, cst.Call):
            if self._is_passthrough(value):
                args = value.args
                if position < len(args) and not any(a.star or a.keyword for a in args[: position + 1]):
                    return self._of(args[position].value, seen)
                return None
            target = self._core.callgraph.target(value)
            if isinstance(target, cst.FunctionDef):
                returns = self._core.callgraph.returns(target)
                kinds = {self._element(r, position, seen) if r is not None else None for r in returns}
                return next(iter(kinds)) if len(kinds) == 1 else None
        return None

    def _passed(self, param: cst.Param, seen: Seen) -> Optional[ObjectKind]:
        """An unannotated parameter: the kind every call of its function passes."""
        function = self._core.parent(self._core.parent(param))
        if not isinstance(function, cst.FunctionDef):
            return None
        calls = self._core.callgraph.callers(function)
        if not calls:
            return self._used_as((id(param), param.name.value))
        kinds = set()
        for call in calls:
            bound = self._core.callgraph.bind(call, function)
            value = bound.value(param.name.value) if bound is not None else None
            kinds.add(self._of(value, seen) if value is not None else None)
            if len(kinds) > 1:
                return None
        found = next(iter(kinds))
        return found if found is not None else self._used_as((id(param), param.name.value))

    # -- self.x --------------------------------------------------------------
    def _self_attribute(self, expr: cst.Attribute, seen: Seen) -> Optional[ObjectKind]:
        """`self.x` in a method: the kind the class's assignments agree on."""
        class_def = self._self_class(expr)
        return self.attribute_kind(class_def, expr.attr.value, seen) if class_def is not None else None

    def _instance_attribute(self, expr: cst.Attribute, seen: Seen) -> Optional[ObjectKind]:
        """`x.attr` where `x` is an instance of a same-file class other than the method's own
        (`state: CheckpointState`, `trainer = Trainer()`): what that class gives the attribute."""
        if not isinstance(expr.value, cst.Name) or self._self_class(expr) is not None:
            return None
        class_def = self._core.callgraph.instance_class(expr.value)
        return self.attribute_kind(class_def, expr.attr.value, seen) if class_def is not None else None

    def _self_class(self, expr: cst.Attribute) -> Optional[cst.ClassDef]:
        if not isinstance(expr.value, cst.Name):
            return None
        function = self._core.bindings.enclosing_function(expr)
        if function is None or self._core.callgraph.self_name(function) != expr.value.value:
            return None
        return self._core.tree.class_of(function)

    def attribute_kind(
        self, class_def: cst.ClassDef, attribute: str, seen: Seen = frozenset()
    ) -> Optional[ObjectKind]:
        """What every (non-None) `self.<attribute> = ...` of the class and its same-file bases agrees on,
        or what the attribute is used as. An assignment that reads the attribute itself
        (`self.model, self.opt = accelerator.prepare(self.model, self.opt)`) keeps its kind: it is
        decided by the other assignments first."""
        key = (id(class_def), attribute)
        if key in self._attributes:
            return self._attributes[key]
        candidates = [
            b
            for owner in self._core.callgraph.bases(class_def)
            for b in self._core.bindings.attribute_bindings(owner, attribute)
            if not is_name(b.value, "None")
        ]
        if not candidates:
            self._attributes[key] = None  # guards against a property that reads itself
            found = self._declared(class_def, attribute, seen) or self._used_as((id(class_def), f"self.{attribute}"))
            self._attributes[key] = found
            return found
        own = [b for b in candidates if not self._reads_attribute(b, attribute)]
        self._attributes[key] = self._agreed(own, class_def, attribute, seen)  # provisional, for the others
        found = self._agreed(candidates, class_def, attribute, seen)
        self._attributes[key] = found
        return found

    def _declared(self, class_def: cst.ClassDef, attribute: str, seen: Seen) -> Optional[ObjectKind]:
        """An attribute no method of the class (or of its same-file bases) assigns: a `@property`
        (the kind of what it returns), or one that a base class of another project module gives a
        kind (its summary)."""
        method = self._core.callgraph.property_method(class_def, attribute)
        if method is not None:
            return self._factory_kind(method, seen)
        annotation = self._class_annotation(class_def, attribute)
        if annotation is not None:
            kind = self.annotation_kind(annotation)
            return ObjectKind(kind) if kind is not None else None
        for owner in self._core.callgraph.bases(class_def):
            for base in owner.bases:
                symbol = self._core.external(base.value)
                kind = symbol.attributes.get(attribute) if isinstance(symbol, ClassSummary) else None
                if kind is not None:
                    return ObjectKind(Kind(kind))
        return None

    def _class_annotation(self, class_def: cst.ClassDef, attribute: str) -> Optional[cst.BaseExpression]:
        """The annotation the class body (or a same-file base's) declares ``attribute`` with (a
        dataclass field, `model: torch.nn.Module`)."""
        for owner in self._core.callgraph.bases(class_def):
            for statement in owner.body.body:
                if not isinstance(statement, cst.SimpleStatementLine):
                    continue
                for small in statement.body:
                    if isinstance(small, cst.AnnAssign) and is_name(small.target, attribute):
                        return small.annotation.annotation
        return None

    def external_attributes(self, class_def: cst.ClassDef) -> FrozenSet[str]:
        """Attributes that the bases of ``class_def`` (or of its same-file bases) from other project
        modules give a kind."""
        names: FrozenSet[str] = frozenset()
        for owner in self._core.callgraph.bases(class_def):
            for base in owner.bases:
                symbol = self._core.external(base.value)
                if isinstance(symbol, ClassSummary):
                    names |= frozenset(symbol.attributes)
        return names

    def _agreed(self, bindings: List[Binding], class_def: cst.ClassDef, attribute: str, seen: Seen) -> Optional[ObjectKind]:
        """The kind the assignments agree on; an assignment of unknown kind takes the attribute's
        kind by use (`self.scheduler = StepLR(self.optimizer)` makes `self.optimizer` one)."""
        used = self._used_as((id(class_def), f"self.{attribute}"))
        kinds = {self.of_binding(b, seen) or used for b in bindings} or {used}
        return _agree(kinds)

    def _reads_attribute(self, binding: Binding, attribute: str) -> bool:
        value = binding.value if binding.value is not None else binding.unpacked_from
        if value is None:
            return False
        return any(a.attr.value == attribute for a in self._core.tree.nodes_within(value, cst.Attribute))

    def attributes(self, class_def: cst.ClassDef) -> FrozenSet[str]:
        """`self.x` attributes assigned in the class or its same-file bases."""
        names: FrozenSet[str] = frozenset()
        for owner in self._core.callgraph.bases(class_def):
            names |= self._core.bindings.attributes(owner)
        return names

    # -- kinds by use --------------------------------------------------------
    def _key_of(self, expr: cst.BaseExpression) -> Optional[UseKey]:
        """A name means the binding that reaches it (catalog, "Names"): the use is that binding's."""
        if isinstance(expr, cst.Name):
            return _binding_key(self._core.bindings.reaching(expr.value, expr))
        if isinstance(expr, cst.Attribute):
            class_def = self._self_class(expr)
            if class_def is not None:
                return (id(class_def), f"self.{expr.attr.value}")
        return None

    @cached_property
    def names_kinded_by_use(self) -> FrozenSet[str]:
        """The variable names (not `self.x`) that some use gives a kind."""
        return frozenset(name for _, name in self._uses if "." not in name)

    def _used_as(self, key: Optional[UseKey]) -> Optional[ObjectKind]:
        return self._uses.get(key) if key is not None else None

    @cached_property
    def _uses(self) -> Dict[UseKey, ObjectKind]:
        """Bindings and `self.x` attributes whose use shows their kind; one used as two kinds is
        left out."""
        found: Dict[UseKey, ObjectKind] = {}
        conflicts: List[UseKey] = []

        def record(expr: Optional[cst.BaseExpression], kind: ObjectKind) -> None:
            key = self._key_of(expr) if expr is not None else None
            if key is None:
                return
            if found.get(key, kind) != kind:
                conflicts.append(key)
            found[key] = kind

        for call in self._core.tree.nodes(cst.Call):
            for argument, typed in self._typed_arguments(call):
                record(argument, typed)
            qualname = self._core.qualname(call.func)
            first = _first_argument(call)
            if qualname in catalog.WRAPS or qualname in catalog.FULLY_SHARD:
                record(first, MODEL)
                continue
            kind = self.class_kind(qualname)
            if kind is Kind.OPTIMIZER:
                params = _argument(call, "params") or first
                for owner in self._parameter_owners(params):
                    record(owner, MODEL)
            elif kind is Kind.SCHEDULER:
                record(_argument(call, "optimizer") or first, OPTIMIZER)
        for key in conflicts:
            found.pop(key, None)
        return found

    def _typed_arguments(self, call: cst.Call) -> List[Tuple[cst.BaseExpression, ObjectKind]]:
        """The positional arguments of a framework method that takes objects of one kind
        (`fabric.setup_optimizers(opt)`, `scaler.step(opt)`: catalog data), with that kind."""
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in catalog.TYPED_ARGUMENT_METHODS:
            return []
        owner = self._core.instance_type(func.value)
        kinds = catalog.TYPED_ARGUMENTS.get(canonical(f"{owner}.{func.attr.value}")) if owner is not None else None
        if kinds is None:
            return []
        typed = []
        for index, arg in enumerate(call.args):
            if arg.star or arg.keyword is not None:
                break
            typed.append((arg.value, ObjectKind(Kind(kinds[min(index, len(kinds) - 1)]))))
        return typed

    def _parameter_owners(self, params: Optional[cst.BaseExpression]) -> List[cst.BaseExpression]:
        """`X` of every `X.parameters()` / `X.named_parameters()` in an optimizer's params argument
        (through lists, generators, `{"params": ...}` groups, and one name it is assigned to)."""
        if params is None:
            return []
        roots: List[cst.CSTNode] = [params]
        if isinstance(params, cst.Name):
            binding = self._core.bindings.reaching(params.value, params)
            if binding is not None and binding.value is not None:
                roots = [binding.value]
        owners = []
        for root in roots:
            for call in self._core.tree.nodes_within(root, cst.Call):
                func = call.func
                if isinstance(func, cst.Attribute) and func.attr.value in ("parameters", "named_parameters"):
                    owners.append(func.value)
        return owners


def _agree(kinds: Set[Optional[ObjectKind]]) -> Optional[ObjectKind]:
    """The kind that every branch (or every assignment) gives (catalog, "Names": "except where
    every branch gives the same kind"). Wrapped and plain models are all models: the same wrap
    is kept, wraps that prefix the keys alike give the first (`DDP(model)` or
    `DataParallel(model)`: both `module.`), and different ones give a model whose wrap is
    `MIXED_WRAP` (its keys' prefix is unknown: rules that need the wrap stay silent)."""
    if not kinds or None in kinds:
        return None
    if len(kinds) == 1:
        return next(iter(kinds))
    known = [k for k in kinds if k is not None]
    if any(k.kind is not Kind.MODEL for k in known):
        return None
    prefixes = {UNWRAP_PREFIX.get(k.wrap) if k.wrap is not None else None for k in known}
    if None not in prefixes and len(prefixes) == 1:
        return sorted(known, key=lambda k: k.wrap or "")[0]
    return ObjectKind(Kind.MODEL, wrap=MIXED_WRAP)


def _summary_kind(symbol: Optional[Symbol], constructed: bool) -> Optional[ObjectKind]:
    """The kind a summary gives: a class's instances, a factory's returns, an object's own."""
    kind: Optional[str] = None
    if isinstance(symbol, ClassSummary) and constructed:
        kind = symbol.kind
    elif isinstance(symbol, FunctionSummary) and constructed:
        kind = symbol.returns_kind
    elif isinstance(symbol, ObjectSummary) and not constructed:
        kind = symbol.kind
    return ObjectKind(Kind(kind)) if kind is not None else None


def _without_none(annotation: cst.BaseExpression) -> cst.BaseExpression:
    """`X` of `X | None`, `Optional[X]`, `Union[X, None]` (an optional object is that object where it is used)."""
    if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
        if is_name(annotation.right, "None"):
            return annotation.left
        if is_name(annotation.left, "None"):
            return annotation.right
    if isinstance(annotation, cst.Subscript) and isinstance(annotation.value, (cst.Name, cst.Attribute)):
        name = annotation.value.value if isinstance(annotation.value, cst.Name) else annotation.value.attr.value
        elements = [e.slice.value for e in annotation.slice if isinstance(e.slice, cst.Index)]
        others = [e for e in elements if not is_name(e, "None")]
        if name == "Optional" and len(elements) == 1 or name == "Union" and len(others) == 1 and len(elements) == 2:
            return others[0]
    return annotation


def _binding_key(binding: Optional[Binding]) -> Optional[UseKey]:
    return (id(binding.node), binding.name) if binding is not None else None


def _argument(call: cst.Call, keyword: str) -> Optional[cst.BaseExpression]:
    return next((a.value for a in call.args if a.keyword is not None and a.keyword.value == keyword), None)


def _first_argument(call: cst.Call) -> Optional[cst.BaseExpression]:
    first = call.args[0] if call.args else None
    return first.value if first is not None and first.keyword is None and not first.star else None

