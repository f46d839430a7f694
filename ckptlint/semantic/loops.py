"""`for` loops: the epoch loop, the batch loop inside it, and what a loop body runs.

Computed in one pass over the module. Every `for` statement becomes a `Loop`
fact: its variable (when the target is one name), what it iterates, its
function, the loops it is nested in (within the same function: a nested
`def` starts afresh), and whether its body runs a training step (a
`.backward()` call or an optimizer `.step()`, directly or in a nested loop;
calls into other functions are not followed).

- An **epoch loop** is a `for` whose variable names an epoch (`epoch`,
  `ep`, `cur_epoch`), or that iterates a `range(...)` with an argument that
  mentions epochs (`range(start_epoch, args.epochs)`), or whose variable is
  stored under an `epoch` key in the loop body (`{"epoch": i}`,
  `ckpt["epoch"] = i`).
- A **batch loop** of an epoch loop is a `for` nested in it that runs a
  training step or iterates a loader (`for x, y in loader`,
  `enumerate(train_loader)`).

`enclosing(node)` gives the `for` loops around a node (innermost first, same
function only); `innermost_step_loop(node)` the innermost of them whose body
runs a training step (CKPT505). `while` loops are not `Loop`s (CKPT504 counts
only `for` loops).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

import libcst as cst

from ckptlint.semantic.core.walk import visit_tree

if TYPE_CHECKING:
    from ckptlint.semantic.model import SemanticModel

EPOCH_NAME = re.compile(r"^(ep|epoch|\w*_epoch|epoch_\w*|\w*_ep|epoch_idx|i_epoch)$", re.IGNORECASE)
EPOCH_WORD = re.compile(r"epoch", re.IGNORECASE)
LOADER_WORD = re.compile(r"loader|batches|dataloader", re.IGNORECASE)
OPTIMIZER_WORD = re.compile(r"optim|opt\b|opt_|scaler", re.IGNORECASE)


@dataclass(eq=False)
class Loop:
    """One `for` statement, as rules see it (do not mutate: built once per file)."""

    node: cst.For
    variable: Optional[str]  # the loop variable, when the target is a single name
    iter: cst.BaseExpression
    function: Optional[cst.FunctionDef]
    parent: Optional["Loop"]  # the enclosing `for` in the same function
    runs_step: bool = False  # the body calls `.backward()` or an optimizer `.step()`
    saves_variable_as_epoch: bool = False
    children: List["Loop"] = field(default_factory=list)

    @property
    def range_args(self) -> Optional[Tuple[cst.BaseExpression, ...]]:
        """The arguments of `range(...)` when the loop iterates one (plain positional)."""
        it = self.iter
        if isinstance(it, cst.Call) and isinstance(it.func, cst.Name) and it.func.value == "range":
            if all(arg.keyword is None and not arg.star for arg in it.args):
                return tuple(arg.value for arg in it.args)
        return None

    def descendants(self) -> List["Loop"]:
        found: List[Loop] = []
        for child in self.children:
            found.append(child)
            found.extend(child.descendants())
        return found


class Loops:
    def __init__(self, model: "SemanticModel") -> None:
        self._model = model
        collector = _LoopCollector(model)
        visit_tree(model.module, collector)
        self.all: Tuple[Loop, ...] = tuple(collector.loops)
        self._by_node: Dict[int, Loop] = {id(loop.node): loop for loop in self.all}

    def of(self, node: cst.For) -> Optional[Loop]:
        return self._by_node.get(id(node))

    def enclosing(self, node: cst.CSTNode) -> Tuple[Loop, ...]:
        """The `for` loops whose body contains ``node``, innermost first, within its function."""
        parents = self._model.parents
        found: List[Loop] = []
        child, current = node, parents.get(node)
        while current is not None and not isinstance(current, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            if isinstance(current, cst.For) and child is current.body:
                loop = self._by_node.get(id(current))
                if loop is not None:
                    found.append(loop)
            child, current = current, parents.get(current)
        return tuple(found)

    def is_epoch_loop(self, loop: Loop) -> bool:
        if loop.variable is None:
            return False
        if EPOCH_NAME.match(loop.variable) or loop.saves_variable_as_epoch:
            return True
        args = loop.range_args
        return args is not None and any(EPOCH_WORD.search(self._model.code(arg)) for arg in args)

    @property
    def epoch_loops(self) -> Tuple[Loop, ...]:
        return tuple(loop for loop in self.all if self.is_epoch_loop(loop))

    def is_batch_loop(self, loop: Loop) -> bool:
        return loop.runs_step or bool(LOADER_WORD.search(self._model.code(loop.iter)))

    def batch_loops(self, epoch_loop: Loop) -> Tuple[Loop, ...]:
        """The loops nested in ``epoch_loop`` that run a training step or iterate a loader."""
        return tuple(loop for loop in epoch_loop.descendants() if self.is_batch_loop(loop))

    def innermost_step_loop(self, node: cst.CSTNode) -> Optional[Loop]:
        """The innermost enclosing `for` whose body runs a training step."""
        return next((loop for loop in self.enclosing(node) if loop.runs_step), None)


def _is_step_call(call: cst.Call, code) -> bool:  # type: ignore[no-untyped-def]
    func = call.func
    if not isinstance(func, cst.Attribute):
        return False
    if func.attr.value == "backward":
        return True
    if func.attr.value != "step":
        return False
    receiver = code(func.value)
    if OPTIMIZER_WORD.search(receiver) and "sched" not in receiver.lower():
        return True
    return any(OPTIMIZER_WORD.search(code(arg.value)) for arg in call.args)  # `scaler.step(optimizer)`


class _LoopCollector(cst.CSTVisitor):
    def __init__(self, model: "SemanticModel") -> None:
        self._model = model
        self.loops: List[Loop] = []
        self._stack: List[Optional[Loop]] = []  # None marks a function boundary
        self._functions: List[cst.FunctionDef] = []

    def _open(self) -> List[Loop]:
        """The loops of the current function, innermost last."""
        open_loops: List[Loop] = []
        for entry in reversed(self._stack):
            if entry is None:
                break
            open_loops.append(entry)
        open_loops.reverse()
        return open_loops

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._stack.append(None)
        self._functions.append(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._stack.pop()
        self._functions.pop()

    def visit_For(self, node: cst.For) -> None:
        open_loops = self._open()
        parent = open_loops[-1] if open_loops else None
        variable = node.target.value if isinstance(node.target, cst.Name) else None
        loop = Loop(node, variable, node.iter, self._functions[-1] if self._functions else None, parent)
        if parent is not None:
            parent.children.append(loop)
        self.loops.append(loop)
        self._stack.append(loop)

    def leave_For(self, original_node: cst.For) -> None:
        self._stack.pop()

    def visit_Call(self, node: cst.Call) -> None:
        if _is_step_call(node, self._model.code):
            for loop in self._open():
                loop.runs_step = True

    def _epoch_value(self, key: Optional[cst.BaseExpression], value: cst.BaseExpression) -> None:
        if isinstance(key, cst.SimpleString) and isinstance(value, cst.Name) and EPOCH_WORD.search(key.value):
            for loop in self._open():
                if loop.variable == value.value:
                    loop.saves_variable_as_epoch = True

    def visit_DictElement(self, node: cst.DictElement) -> None:
        self._epoch_value(node.key, node.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            subscript = target.target
            if isinstance(subscript, cst.Subscript) and len(subscript.slice) == 1:
                index = subscript.slice[0].slice
                if isinstance(index, cst.Index):
                    self._epoch_value(index.value, node.value)
