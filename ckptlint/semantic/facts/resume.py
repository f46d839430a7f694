"""Load sites and resume paths: what is read from a `torch.load` result and what it restores.

- `loads`: every `torch.load` (and project `load-functions`) call, with what
  happens to its result (`core/flows.py`: through names, returns and
  parameters): the keys read from it (`ckpt["epoch"]`, `ckpt.get("epoch", 0)`)
  and the `X.load_state_dict(...)` calls it feeds. A load from an in-memory
  buffer is no checkpoint load (`buffers.py`; `is_checkpoint_load`).
- `is_resume(load)`: the catalog's resume load: its result restores an
  optimizer, scheduler or scaler, or it sits under a resume flag
  (`if args.resume:`, `if os.path.exists(...)`), or an epoch read from it
  (as it is, or with 1 added) starts a training loop. A load for evaluation
  or export only is none of these.
- `epoch_starts`: assignments of an epoch read unchanged from a load to what
  starts an epoch loop's `range(start, ...)`: a local of the loop's function
  (assigned before the loop), or a `self.x` of the loop's class, assigned in
  any method of it (`self.epochs_run = snapshot["EPOCHS_RUN"]` in
  `_load_snapshot`, `range(self.epochs_run, ...)` in `train`). None when
  anything adds to it (`+=`).
- `strict_false_unchecked()`: `load_state_dict(..., strict=False)` calls
  whose result (missing / unexpected keys) is thrown away.

For fixes that change what a checkpoint holds (catalog revision 2, "A fix
keeps the program working"):
- `restore_point(load)`: the statement after which a new restore of what a
  load returns goes: the load is `var = torch.load(...)`, a statement of its
  own, and the restore follows the last statement of that block (from the
  load on) that reads `var`, stopping before the first statement that leaves
  the block, starts a loop or defines something (`return ckpt["epoch"] + 1`,
  `for epoch in range(ckpt["epoch"], ...)`): the program has the loaded value
  there, and has not started training.
- `object_use(load)`: where the loaded value (or a value read from it by key)
  is used as an object a state dict is not: called (`net(x)`), or asked for
  an attribute no dict, list, string or tensor has (`.eval()`,
  `.state_dict()`, `.yaml`, `.r_max`, `args.lr`). Such a load reads a pickled
  object, which `weights_only=True` refuses and a state dict cannot stand
  in for.
- `in_weights_only_branch(call)`: the load sits in a branch of an `if` that
  tests `weights_only` (`if not weights_only: return torch.load(path)`): the
  code chose how to load, per call.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Dict, FrozenSet, List, Optional, Tuple

import libcst as cst

from ckptlint.semantic.core.flows import KeyRead, Restore
from ckptlint.semantic.core.module import ModuleCore
from ckptlint.semantic.core.syntax import is_name
from ckptlint.semantic.data import catalog
from ckptlint.semantic.facts.buffers import Buffers, load_source
from ckptlint.semantic.facts.loops import Loop, Loops

TORCH_LOAD = "torch.load"
# What a value `weights_only=True` gives back has: a dict, list, tuple or string's methods and a
# tensor's. Any other attribute asked of a loaded value is an object's (`ckpt["model"].yaml`,
# `foundation.r_max`, `ckpt["args"].lr`).
LOADABLE_ATTRIBUTES = frozenset({
    # dict, list, tuple, str
    "keys", "values", "items", "get", "pop", "popitem", "update", "copy", "setdefault", "clear",
    "append", "extend", "insert", "remove", "index", "count", "sort", "reverse",
    "split", "strip", "join", "replace", "startswith", "endswith", "format", "lower", "upper",
    "encode", "decode",
    # torch.Tensor
    "to", "cpu", "cuda", "float", "half", "double", "bfloat16", "int", "long", "short", "bool", "byte",
    "numpy", "item", "tolist", "shape", "size", "dim", "ndim", "numel", "dtype", "device", "detach",
    "clone", "contiguous", "view", "view_as", "reshape", "permute", "transpose", "t", "T", "squeeze",
    "unsqueeze", "sum", "mean", "std", "var", "max", "min", "abs", "argmax", "argmin", "type",
    "type_as", "data", "requires_grad", "requires_grad_", "grad", "norm", "flatten", "split", "chunk",
    "expand", "expand_as", "repeat", "fill_", "copy_", "zero_", "add", "sub", "mul", "div", "pow",
    "sqrt", "exp", "log", "clamp", "clip", "softmax", "sort", "topk", "eq", "ne", "gt", "lt", "ge",
    "le", "all", "any", "new_zeros", "new_ones", "new_tensor", "new_empty", "new_full", "is_cuda",
    "is_floating_point", "element_size", "index_select", "gather", "narrow", "unbind", "cumsum",
    "prod", "round", "floor", "ceil", "nonzero", "unique", "isnan", "isinf", "dot", "matmul",
})
_LEAVES_BLOCK = (cst.Return, cst.Raise, cst.Continue, cst.Break, cst.Del)
Read = KeyRead  # what rules call a key read from a load


@dataclass(frozen=True, eq=False)
class LoadSite:
    call: cst.Call
    variable: Optional[str]  # `ckpt` in `ckpt = torch.load(...)`
    function: Optional[cst.FunctionDef]
    reads: Tuple[KeyRead, ...]
    restores: Tuple[Restore, ...]
    escapes: bool  # the result is used some other way too (passed whole, returned, stored)


@dataclass(frozen=True, eq=False)
class EpochStart:
    """`start_epoch = ckpt["epoch"]` whose target starts an epoch `range(...)`."""

    statement: cst.SimpleStatementLine
    assign: cst.Assign
    read: KeyRead
    load: LoadSite


class Resume:
    def __init__(self, core: ModuleCore, loops: Loops, buffers: Buffers) -> None:
        self._core = core
        self._loops = loops
        self._buffers = buffers
        self._load_names = (TORCH_LOAD, *core.project.load_functions)

    @cached_property
    def loads(self) -> Tuple[LoadSite, ...]:
        return tuple(
            self._load_site(site.node) for site in self._core.calls_to(*self._load_names) if self.is_checkpoint_load(site.node)
        )

    def _load_site(self, call: cst.Call) -> LoadSite:
        uses = self._core.flows.uses(call)
        function = self._core.tree.enclosing_function(call)
        return LoadSite(call, uses.variable, function, uses.reads, uses.restores, uses.escapes)

    def is_checkpoint_load(self, call: cst.Call) -> bool:
        """A load call reads a checkpoint file: not an in-memory buffer or a broadcast object
        (catalog "Save": such a load moves an object between processes)."""
        return not self._buffers.loads_from_buffer(call)
    # -- what a fix that changes the checkpoint must know about its loads ---------
    def restore_point(self, load: LoadSite) -> Optional[cst.BaseStatement]:
        """The statement after which a restore of ``load``'s value goes (module docstring)."""
        statement = self._own_assignment(load)
        block = self._core.parent(statement) if statement is not None else None
        if statement is None or not isinstance(block, (cst.IndentedBlock, cst.Module)):
            return None
        body = list(block.body)
        anchor: cst.BaseStatement = statement
        for later in body[body.index(statement) + 1 :]:
            if self._ends_the_resume(later):
                break
            if self._reads_variable(later, load):
                anchor = later  # type: ignore[assignment]
        return anchor

    def _own_assignment(self, load: LoadSite) -> Optional[cst.SimpleStatementLine]:
        """`var = torch.load(...)` as a statement line of its own."""
        assign = self._core.parent(load.call)
        line = self._core.parent(assign)
        if load.variable is None or not isinstance(assign, cst.Assign) or not isinstance(line, cst.SimpleStatementLine):
            return None
        return line if len(line.body) == 1 else None

    def _ends_the_resume(self, statement: cst.CSTNode) -> bool:
        """A statement after which a restore may not go: it starts a loop, defines a function or
        class, holds a loop, or may leave the block (a `return`, `raise`, `break`, `continue` or `del` in it
        that is not inside a loop or function of its own)."""
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            return True
        tree = self._core.tree
        if tree.nodes_within(statement, cst.For, cst.While):
            return True  # training may start there
        for node in tree.nodes_within(statement, *_LEAVES_BLOCK):
            inner = tree.enclosing(node, (cst.For, cst.While, cst.FunctionDef, cst.Lambda))
            if inner is None or not tree.contains(statement, inner):
                return True
        return False

    def _reads_variable(self, statement: cst.CSTNode, load: LoadSite) -> bool:
        scopes = self._core.scopes
        return any(
            name.value == load.variable and scopes.is_read(name)
            for name in self._core.tree.nodes_within(statement, cst.Name)
        )

    def object_use(self, load: LoadSite) -> Optional[cst.CSTNode]:
        """Where ``load``'s value, or a value read from it by key, is used as an object (module docstring)."""
        flows = self._core.flows
        uses = list(flows.terminal_uses(load.call))
        for read in load.reads:
            uses.extend(flows.terminal_uses(read.node))
        for use in uses:
            if self._used_as_object(use):
                return use
        return None

    def _used_as_object(self, use: cst.CSTNode) -> bool:
        """``use`` is called, or a chain of attributes and calls on it asks for an attribute that no
        dict, list, string or tensor has."""
        parent_of = self._core.tree.parent
        current, parent = use, parent_of(use)
        if isinstance(parent, cst.Call) and parent.func is use:
            return True
        while isinstance(parent, (cst.Attribute, cst.Call)):
            if isinstance(parent, cst.Attribute):
                if parent.value is not current:
                    return False
                if parent.attr.value not in LOADABLE_ATTRIBUTES:
                    return True
            elif parent.func is not current:
                return False
            current, parent = parent, parent_of(parent)
        return False

    def in_weights_only_branch(self, call: cst.Call) -> bool:
        """An `if` around ``call`` (in its function) tests `weights_only`."""
        for ancestor in self._core.tree.ancestors(call):
            if isinstance(ancestor, (cst.FunctionDef, cst.Lambda)):
                return False
            if isinstance(ancestor, (cst.If, cst.IfExp)) and "weights_only" in self._core.code(ancestor.test):
                return True
        return False

    # -- resume loads ------------------------------------------------------
    def under_resume_flag(self, load: LoadSite) -> bool:
        """An enclosing `if` tests a resume flag or whether a checkpoint file exists."""
        for ancestor in self._core.tree.ancestors(load.call):
            if isinstance(ancestor, cst.FunctionDef):
                return False
            if isinstance(ancestor, cst.If):
                test = self._core.code(ancestor.test)
                if catalog.RESUME_FLAG.search(test) or "exists(" in test or "isfile(" in test:
                    return True
        return False

    def is_resume(self, load: LoadSite, restores_training_state: bool) -> bool:
        """The catalog's resume load (``restores_training_state``: a restore's receiver
        is an optimizer, scheduler or scaler, as the caller's kinds say)."""
        if restores_training_state or self.under_resume_flag(load):
            return True
        return any(start.load is load for start in self.epoch_starts) or self._starts_epoch_loop(load)

    def _starts_epoch_loop(self, load: LoadSite) -> bool:
        """An epoch read from ``load`` reaches the start of an epoch loop, changed or not
        (`start_epoch = ckpt["epoch"] + 1`, then `range(start_epoch, ...)`)."""
        reads = {id(read.node) for read in load.reads if catalog.EPOCH_KEY.search(read.key)}
        if not reads:
            return False
        for loop in self._loops.epoch_loops:
            target = self.epoch_start_target(loop)
            assignments = self._assignments_reaching(target, loop.node) if target is not None else None
            for _, assign in assignments or ():
                if any(id(node) in reads for node in self._core.tree.nodes_within(assign.value, cst.Subscript, cst.Call)):
                    return True
        return False

    @cached_property
    def epoch_starts(self) -> Tuple[EpochStart, ...]:
        """Assignments of an epoch read unchanged from a load whose target starts an epoch loop's `range`."""
        found: List[EpochStart] = []
        for loop in self._loops.epoch_loops:
            target = self.epoch_start_target(loop)
            if target is not None:
                found.extend(self.raw_epoch_assignments(target, loop))
        return tuple(found)

    @staticmethod
    def epoch_start_target(loop: Loop) -> Optional[cst.BaseExpression]:
        """`start_epoch` in `for epoch in range(start_epoch, ...)` (a name or attribute, at least 2 args)."""
        args = loop.range_args
        if args is None or len(args) < 2 or not isinstance(args[0], (cst.Name, cst.Attribute)):
            return None
        return args[0]

    def raw_epoch_assignments(self, target: cst.BaseExpression, loop: Loop) -> List[EpochStart]:
        """The assignments of ``target`` that reach ``loop`` whose value is an epoch read unchanged
        from a load (none when anything adds to ``target``)."""
        assignments = self._assignments_reaching(target, loop.node)
        if assignments is None:
            return []
        found: List[EpochStart] = []
        for statement, assign in assignments:
            read = self.raw_epoch_read(assign.value)
            if read is not None:
                found.append(EpochStart(statement, assign, read[0], read[1]))
        return found

    def _assignments_reaching(
        self, target: cst.BaseExpression, loop: cst.For
    ) -> Optional[List[Tuple[cst.SimpleStatementLine, cst.Assign]]]:
        tree = self._core.tree
        function = tree.enclosing_function(loop)
        table = self._assignments
        spelling = self._core.code(target)
        if isinstance(target, cst.Attribute) and function is not None:
            self_name = self._core.callgraph.self_name(function)
            class_def = tree.class_of(function)
            if self_name is not None and class_def is not None and is_name(target.value, self_name):
                return self._attribute_assignments(class_def, target.attr.value)
        entries = table.get((id(function), spelling), [])
        if any(kind == "aug" for kind, _, _ in entries):
            return None
        return [
            (statement, small)  # type: ignore[misc]
            for kind, statement, small in entries
            if kind == "assign" and tree.order[statement] < tree.order[loop]
        ]

    def _attribute_assignments(
        self, class_def: cst.ClassDef, attribute: str
    ) -> Optional[List[Tuple[cst.SimpleStatementLine, cst.Assign]]]:
        """Every `self.<attribute> = value` in the methods of the class and its same-file bases."""
        found = []
        for owner in self._core.callgraph.bases(class_def):
            for binding in self._core.bindings.attribute_bindings(owner, attribute):
                statement = binding.node
                small = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 else None
                if isinstance(small, cst.AugAssign):
                    return None
                if isinstance(small, cst.Assign) and len(small.targets) == 1 and binding.value is small.value:
                    found.append((statement, small))
        return found  # type: ignore[return-value]

    def raw_epoch_read(self, expr: cst.BaseExpression) -> Optional[Tuple[KeyRead, LoadSite]]:
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "int" and len(expr.args) == 1:
            expr = expr.args[0].value
        for load in self.loads:
            for read in load.reads:
                if read.node is expr and catalog.EPOCH_KEY.search(read.key):
                    return read, load
        return None

    @cached_property
    def _assignments(self) -> Dict[Tuple[int, str], List[Tuple[str, cst.SimpleStatementLine, cst.CSTNode]]]:
        """(function id, target spelling) -> the statements that assign it, in source order."""
        tree = self._core.tree
        table: Dict[Tuple[int, str], List[Tuple[str, cst.SimpleStatementLine, cst.CSTNode]]] = {}

        def add(kind: str, target: cst.BaseExpression, small: cst.CSTNode) -> None:
            line = tree.parent(small)
            if isinstance(target, (cst.Name, cst.Attribute)) and isinstance(line, cst.SimpleStatementLine):
                key = (id(tree.enclosing_function(small)), self._core.code(target))
                table.setdefault(key, []).append((kind, line, small))

        for node in tree.nodes(cst.Assign, cst.AugAssign):
            if isinstance(node, cst.AugAssign):
                add("aug", node.target, node)
                continue
            for target in node.targets:
                if isinstance(target.target, (cst.Tuple, cst.List)):
                    for element in target.target.elements:
                        add("other", element.value, node)
                else:
                    add("assign" if len(node.targets) == 1 else "other", target.target, node)
        return table

    @staticmethod
    def load_path(load: LoadSite) -> Optional[cst.BaseExpression]:
        """The file a load reads (its first argument, or `f=`)."""
        return load_source(load.call)

    @staticmethod
    def keys_read(load: LoadSite) -> FrozenSet[str]:
        return frozenset(read.key for read in load.reads)

    # -- strict=False ------------------------------------------------------
    def strict_false_unchecked(self) -> List[cst.Call]:
        """`load_state_dict(..., strict=False)` calls whose result is never looked at."""
        found = []
        for call in self._core.tree.nodes(cst.Call):
            if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "load_state_dict"):
                continue
            strict = next((a for a in call.args if a.keyword is not None and a.keyword.value == "strict"), None)
            if strict is None or not is_name(strict.value, "False"):
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
        binding = self._core.bindings.reaching(call.args[0].value.value, call)
        if binding is None or binding.value is None:
            return False
        receiver = self._core.code(call.func.value)  # type: ignore[attr-defined]
        return f"{receiver}.state_dict()" in self._core.code(binding.value)

    def _result_used(self, call: cst.Call) -> bool:
        parent = self._core.parent(call)
        if isinstance(parent, cst.Expr):
            return False
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
            target = parent.targets[0].target
            names = [e.value for e in target.elements] if isinstance(target, (cst.Tuple, cst.List)) else [target]
            if names and all(isinstance(n, cst.Name) for n in names):
                return any(self._core.reads_of_target(n) for n in names if n.value != "_")  # type: ignore[arg-type]
        return True  # returned, passed on, stored, compared...
