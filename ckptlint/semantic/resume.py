"""Load sites and resume paths: what is read from a `torch.load` result and what it restores.

- `loads`: every `torch.load` (and project `load-functions`) call, with the
  name its result is assigned to, the keys read from it (`ckpt["epoch"]`,
  `ckpt.get("epoch", 0)`) and the `X.load_state_dict(...)` calls it feeds
  (`optimizer.load_state_dict(ckpt["optimizer"])` restores `optimizer` from
  key `"optimizer"`).
- `is_resume(load)`: the catalog's resume load: its result restores an
  optimizer, scheduler or scaler, or it sits under a resume flag
  (`if args.resume:`, `if os.path.exists(...)`), or an epoch read from it
  starts a training loop (`epoch_start_assignments`). A load for evaluation or
  export only is none of these.
- `strict_false_unchecked()`: `load_state_dict(..., strict=False)` calls
  whose result (missing / unexpected keys) is thrown away.
- `raw_epoch_read(expr)`: ``expr`` is the epoch read unchanged from a load
  (`ckpt["epoch"]`, `ckpt.get("epoch", 0)`, `int(ckpt["epoch"])`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Dict, FrozenSet, List, Optional, Tuple

import libcst as cst

from ckptlint.config.settings import ProjectSettings
from ckptlint.semantic import catalog
from ckptlint.semantic.core.walk import visit_tree

if TYPE_CHECKING:
    from ckptlint.semantic.model import SemanticModel

TORCH_LOAD = "torch.load"


@dataclass(frozen=True, eq=False)
class Read:
    key: str
    node: cst.BaseExpression  # `ckpt["k"]` or `ckpt.get("k", ...)`


@dataclass(frozen=True, eq=False)
class Restore:
    call: cst.Call  # `X.load_state_dict(...)`
    receiver: cst.BaseExpression  # `X`
    key: Optional[str]  # the key read, None when the whole result is passed


@dataclass(frozen=True, eq=False)
class LoadSite:
    call: cst.Call
    variable: Optional[str]  # `ckpt` in `ckpt = torch.load(...)`
    function: Optional[cst.FunctionDef]
    reads: Tuple[Read, ...]
    restores: Tuple[Restore, ...]
    escapes: bool  # the result is used some other way too (passed whole, returned, stored)


@dataclass(frozen=True, eq=False)
class EpochStart:
    """`start_epoch = ckpt["epoch"]` whose target starts an epoch `range(...)`."""

    statement: cst.SimpleStatementLine
    assign: cst.Assign
    read: Read
    load: LoadSite


class Resume:
    def __init__(self, model: "SemanticModel", project: ProjectSettings) -> None:
        self._model = model
        self._load_names = (TORCH_LOAD, *project.load_functions)

    @cached_property
    def loads(self) -> Tuple[LoadSite, ...]:
        return tuple(self._load_site(site.node, site.function) for site in self._model.calls_to(*self._load_names))

    def _load_site(self, call: cst.Call, function: object) -> LoadSite:
        parents = self._model.parents
        parent = parents.get(call)
        reads: List[Read] = []
        restores: List[Restore] = []
        escapes = False
        variable = None
        uses: List[cst.CSTNode] = [call]
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name):
            variable = parent.targets[0].target.value
            uses = self._references(parent.targets[0].target)
        for use in uses:
            read = self._read_at(use)
            expr = read.node if read is not None else use
            if read is not None:
                reads.append(read)
            restore = self._restore_of(expr, read.key if read is not None else None)
            if restore is not None:
                restores.append(restore)
            elif read is None and use is not call:
                escapes = True
        fn = function if isinstance(function, cst.FunctionDef) else None
        return LoadSite(call, variable, fn, tuple(reads), tuple(restores), escapes)

    def _references(self, target: cst.Name) -> List[cst.CSTNode]:
        return list(self._model.reads_of_target(target))

    def _read_at(self, use: cst.CSTNode) -> Optional[Read]:
        parent = self._model.parents.get(use)
        if isinstance(parent, cst.Subscript) and parent.value is use and len(parent.slice) == 1:
            index = parent.slice[0].slice
            if isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString):
                return Read(str(index.value.evaluated_value), parent)
        if isinstance(parent, cst.Attribute) and parent.value is use and parent.attr.value == "get":
            call = self._model.parents.get(parent)
            if isinstance(call, cst.Call) and call.args and isinstance(call.args[0].value, cst.SimpleString):
                return Read(str(call.args[0].value.evaluated_value), call)
        return None

    def _restore_of(self, expr: cst.CSTNode, key: Optional[str]) -> Optional[Restore]:
        arg = self._model.parents.get(expr)
        call = self._model.parents.get(arg) if isinstance(arg, cst.Arg) else None
        if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
            return None
        if call.func.attr.value != "load_state_dict" or not call.args or call.args[0] is not arg:
            return None
        return Restore(call, call.func.value, key)

    # -- resume loads ------------------------------------------------------
    def under_resume_flag(self, load: LoadSite) -> bool:
        """An enclosing `if` tests a resume flag or whether a checkpoint file exists."""
        current = self._model.parents.get(load.call)
        while current is not None and not isinstance(current, cst.FunctionDef):
            if isinstance(current, cst.If):
                test = self._model.code(current.test)
                if catalog.RESUME_FLAG.search(test) or "exists(" in test or "isfile(" in test:
                    return True
            current = self._model.parents.get(current)
        return False

    def is_resume(self, load: LoadSite, restores_training_state: bool) -> bool:
        """The catalog's resume load (``restores_training_state``: a restore's receiver
        is an optimizer, scheduler or scaler, as the caller's kinds say)."""
        if restores_training_state or self.under_resume_flag(load):
            return True
        return any(start.load is load for start in self.epoch_starts_in_file)

    @cached_property
    def epoch_starts_in_file(self) -> Tuple[EpochStart, ...]:
        """Assignments of an epoch read unchanged from a load whose target starts an epoch loop's `range`."""
        found: List[EpochStart] = []
        for loop in self._model.loops.epoch_loops:
            start = self.epoch_start_target(loop)
            if start is not None:
                found.extend(self.raw_epoch_assignments(start, loop.node))
        return tuple(found)

    def epoch_start_target(self, loop) -> Optional[cst.BaseExpression]:  # type: ignore[no-untyped-def]
        """`start_epoch` in `for epoch in range(start_epoch, ...)` (a name or attribute, at least 2 args)."""
        args = loop.range_args
        if args is None or len(args) < 2 or not isinstance(args[0], (cst.Name, cst.Attribute)):
            return None
        return args[0]

    def raw_epoch_assignments(self, target: cst.BaseExpression, before: cst.CSTNode) -> List[EpochStart]:
        """Assignments of ``target``'s spelling, in ``before``'s function and before it, whose value
        is an epoch read unchanged from a load. None when the function also adds to it (`+=`)."""
        model = self._model
        function = model.bindings.enclosing_function(before)
        spelling = model.code(target)
        limit = model.span(before).start_offset
        assignments = self._assignments.get((id(function), spelling), [])
        if any(kind == "aug" for kind, _, _ in assignments):
            return []
        found: List[EpochStart] = []
        for kind, statement, small in assignments:
            if kind != "assign" or model.span(statement).start_offset >= limit:
                continue
            read = self.raw_epoch_read(small.value)  # type: ignore[attr-defined]
            if read is not None:
                found.append(EpochStart(statement, small, read[0], read[1]))  # type: ignore[arg-type]
        return found

    def raw_epoch_read(self, expr: cst.BaseExpression) -> Optional[Tuple[Read, LoadSite]]:
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "int" and len(expr.args) == 1:
            expr = expr.args[0].value
        for load in self.loads:
            for read in load.reads:
                if read.node is expr and catalog.EPOCH_KEY.search(read.key):
                    return read, load
        return None

    @cached_property
    def _assignments(self) -> Dict[Tuple[int, str], List[Tuple[str, cst.SimpleStatementLine, cst.CSTNode]]]:
        collector = _Assignments(self._model)
        visit_tree(self._model.module, collector)
        return collector.table

    def load_path(self, load: LoadSite) -> Optional[cst.BaseExpression]:
        """The file a load reads (its first argument, or `f=`)."""
        for index, arg in enumerate(load.call.args):
            if arg.keyword is not None and arg.keyword.value == "f" or arg.keyword is None and index == 0 and not arg.star:
                return arg.value
        return None

    def keys_read(self, load: LoadSite) -> FrozenSet[str]:
        return frozenset(read.key for read in load.reads)

    # -- strict=False ------------------------------------------------------
    def strict_false_unchecked(self) -> List[cst.Call]:
        """`load_state_dict(..., strict=False)` calls whose result is never looked at."""
        found = []
        for indexed in self._model.index.calls:
            call = indexed.node
            if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "load_state_dict"):
                continue
            strict = next((a for a in call.args if a.keyword is not None and a.keyword.value == "strict"), None)
            if strict is None or not (isinstance(strict.value, cst.Name) and strict.value.value == "False"):
                continue
            if not self._result_used(call) and not self._reconciled(call):
                found.append(call)
        return found

    def _reconciled(self, call: cst.Call) -> bool:
        """The dict loaded was filtered against the target's own `state_dict()` first
        (`csd = intersect_dicts(csd, model.state_dict())`, `{k: v ... if k in model.state_dict()}`):
        the key mismatch was handled on purpose, so there is nothing left to check."""
        if not call.args or not isinstance(call.args[0].value, cst.Name):
            return False
        binding = self._model.bindings.reaching(call.args[0].value.value, call)
        if binding is None or binding.value is None:
            return False
        receiver = self._model.code(call.func.value)  # type: ignore[attr-defined]
        return f"{receiver}.state_dict()" in self._model.code(binding.value)

    def _result_used(self, call: cst.Call) -> bool:
        parent = self._model.parents.get(call)
        if isinstance(parent, cst.Expr):
            return False
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
            names = [
                e for e in _target_names(parent.targets[0].target)
            ]
            if names and all(isinstance(n, cst.Name) for n in names):
                return any(self._references(n) for n in names if n.value != "_")
        return True  # returned, passed on, stored, compared...


def _target_names(target: cst.BaseExpression) -> List[cst.BaseExpression]:
    if isinstance(target, (cst.Tuple, cst.List)):
        return [e.value for e in target.elements]
    return [target]


class _Assignments(cst.CSTVisitor):
    """(function id, target spelling) -> the statements that assign it, in source order."""

    def __init__(self, model: "SemanticModel") -> None:
        self._model = model
        self._functions: List[Optional[cst.FunctionDef]] = [None]
        self._statement: Optional[cst.SimpleStatementLine] = None
        self.table: Dict[Tuple[int, str], List[Tuple[str, cst.SimpleStatementLine, cst.CSTNode]]] = {}

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._functions.pop()

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self._statement = node

    def _add(self, kind: str, target: cst.BaseExpression, small: cst.CSTNode) -> None:
        if isinstance(target, (cst.Name, cst.Attribute)) and self._statement is not None:
            key = (id(self._functions[-1]), self._model.code(target))
            self.table.setdefault(key, []).append((kind, self._statement, small))

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, (cst.Tuple, cst.List)):
                for element in target.target.elements:
                    self._add("other", element.value, node)
            else:
                self._add("assign" if len(node.targets) == 1 else "other", target.target, node)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._add("aug", node.target, node)
