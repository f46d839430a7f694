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
from dataclasses import dataclass
from functools import cached_property
from typing import Dict, FrozenSet, List, Optional, Set, Tuple

import libcst as cst

from ckptlint.semantic.core.module import ModuleCore
from ckptlint.semantic.data import catalog

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

    @property
    def range_args(self) -> Optional[Tuple[cst.BaseExpression, ...]]:
        """The arguments of `range(...)` when the loop iterates one (plain positional)."""
        it = self.iter
        if isinstance(it, cst.Call) and isinstance(it.func, cst.Name) and it.func.value == "range":
            if all(arg.keyword is None and not arg.star for arg in it.args):
                return tuple(arg.value for arg in it.args)
        return None


def _nested_in(inner: Loop, outer: Loop) -> bool:
    parent = inner.parent
    while parent is not None:
        if parent is outer:
            return True
        parent = parent.parent
    return False


class Loops:
    def __init__(self, core: ModuleCore) -> None:
        self._core = core
        self.all: Tuple[Loop, ...] = tuple(self._collect())
        self._by_node: Dict[int, Loop] = {id(loop.node): loop for loop in self.all}

    def descendants(self, loop: Loop) -> List[Loop]:
        """The loops nested in ``loop`` (in its function), in source order. Found from each loop's
        `parent`: a loop keeps no list of its children, which would make a reference cycle."""
        return [inner for inner in self.all if _nested_in(inner, loop)]

    def _collect(self) -> List[Loop]:
        """Every `for` statement as a `Loop`, nested in the enclosing `for` of the same function."""
        tree = self._core.tree
        loops: List[Loop] = []
        by_node: Dict[int, Loop] = {}
        for node in tree.nodes(cst.For):
            function = tree.enclosing_function(node)
            outer = tree.enclosing(node, (cst.For,), stop=(cst.FunctionDef, cst.Lambda, cst.ClassDef))
            parent = by_node.get(id(outer)) if outer is not None else None
            variable = node.target.value if isinstance(node.target, cst.Name) else None
            loop = Loop(node, variable, node.iter, function, parent)
            by_node[id(node)] = loop
            loops.append(loop)
        for call in tree.nodes(cst.Call):
            if _is_step_call(call, self._core.code):
                for loop in self._open_around(call, by_node):
                    loop.runs_step = True
        for key, value in self._epoch_values():
            if isinstance(key, cst.SimpleString) and isinstance(value, cst.Name) and EPOCH_WORD.search(key.value):
                for loop in self._open_around(value, by_node):
                    if loop.variable == value.value:
                        loop.saves_variable_as_epoch = True
        return loops

    def _open_around(self, node: cst.CSTNode, by_node: Dict[int, Loop]) -> List[Loop]:
        """The loops of ``node``'s own function whose statement holds it (header or body)."""
        found = []
        for ancestor in self._core.tree.ancestors(node):
            if isinstance(ancestor, cst.FunctionDef):
                break
            if isinstance(ancestor, cst.For):
                found.append(by_node[id(ancestor)])
        return found

    def _epoch_values(self) -> List[Tuple[Optional[cst.BaseExpression], cst.BaseExpression]]:
        """(key, value) of dict entries and of `x["k"] = value` assignments."""
        tree = self._core.tree
        pairs: List[Tuple[Optional[cst.BaseExpression], cst.BaseExpression]] = [
            (element.key, element.value) for element in tree.nodes(cst.DictElement)
        ]
        for assign in tree.nodes(cst.Assign):
            for target in assign.targets:
                subscript = target.target
                if isinstance(subscript, cst.Subscript) and len(subscript.slice) == 1:
                    index = subscript.slice[0].slice
                    if isinstance(index, cst.Index):
                        pairs.append((index.value, assign.value))
        return pairs

    def of(self, node: cst.For) -> Optional[Loop]:
        return self._by_node.get(id(node))

    def enclosing(self, node: cst.CSTNode) -> Tuple[Loop, ...]:
        """The `for` loops whose body contains ``node``, innermost first, within its function."""
        tree = self._core.tree
        found: List[Loop] = []
        child = node
        for current in tree.ancestors(node):
            if isinstance(current, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                break
            if isinstance(current, cst.For) and child is current.body:
                loop = self._by_node.get(id(current))
                if loop is not None:
                    found.append(loop)
            child = current
        return tuple(found)

    def inside_any_loop(self, node: cst.CSTNode) -> bool:
        """``node`` runs in a `for` or `while` loop of its own function."""
        return self._core.tree.enclosing(node, (cst.For, cst.While), stop=(cst.FunctionDef,)) is not None

    def repeats(self, node: cst.CSTNode) -> bool:
        """``node`` may run more than once per call of its function: a `for` or `while` loop of its
        function holds it and may start another iteration after it. An iteration that always
        leaves the loop after ``node`` (a `return` or process exit later in a block that holds it,
        a `raise` that no `try` around it in the loop catches, or a `break` of that loop), or that
        runs it in a branch the loop variable selects once (`selected_once`), runs it once per
        run of the loop (a fallback save in an `except` that re-raises); a loop around that one
        may still run it again."""
        tree = self._core.tree
        exit_kind: Optional[str] = None  # what ends the iteration after node, found so far
        child: cst.CSTNode = node
        for current in tree.ancestors(node):
            if isinstance(current, (cst.FunctionDef, cst.Lambda, cst.ClassDef, cst.Module)):
                return False
            if isinstance(current, (cst.For, cst.While)) and child is current.body:
                if exit_kind in ("return", "raise"):
                    return False  # out of the function: no loop of it runs node again
                if exit_kind is None and not self.selected_once(node, current):
                    return True
                exit_kind = None  # this loop runs node once; an outer loop may run it again
            elif isinstance(current, (cst.Try, cst.TryStar)) and child is current.body and current.handlers:
                exit_kind = None if exit_kind == "raise" else exit_kind  # a handler may catch it
            elif exit_kind is None and isinstance(current, (cst.IndentedBlock, cst.SimpleStatementSuite)):
                exit_kind = self._exit_after(current, child)
            child = current
        return False

    def selected_once(self, node: cst.CSTNode, loop: cst.CSTNode) -> bool:
        """``node`` sits in a branch that the value of ``loop``'s variable selects for one iteration
        at most: the body of `if v == "final":` (`is`; the `else` of `!=`, `is not`), or either
        branch of `if v:` (a loop over flags, `for swa in (False, True)`). The values a loop
        iterates are taken to be distinct, as a path that names the loop variable is taken to be
        new each time (catalog, CKPT109)."""
        if not isinstance(loop, cst.For) or not isinstance(loop.target, cst.Name):
            return False
        variable = loop.target.value
        child = node
        for current in self._core.tree.ancestors(node):
            if current is loop:
                return False
            if isinstance(current, cst.If) and (child is current.body or child is current.orelse):
                if _selects_one(current.test, variable, in_body=child is current.body):
                    return True
            child = current
        return False

    def _exit_after(self, block: cst.BaseSuite, statement: cst.CSTNode) -> Optional[str]:
        """How a statement after ``statement`` in ``block`` always leaves: "break", "raise", "return"
        (a `return` or a process exit), None when none does."""
        after = False
        for current in block.body:
            if current is statement:
                after = True
            if not after:
                continue
            smalls = current.body if isinstance(current, cst.SimpleStatementLine) else [current]
            for small in smalls:
                if isinstance(small, cst.Break):
                    return "break"
                if isinstance(small, cst.Raise):
                    return "raise"
                if isinstance(small, cst.Return):
                    return "return"
                if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
                    if self._core.qualname(small.value.func) in catalog.PROCESS_EXITS:
                        return "return"
        return None

    def variables_around(self, node: cst.CSTNode) -> FrozenSet[str]:
        """The variables of the `for` loops around ``node`` in its own function (not comprehensions)."""
        names: Set[str] = set()
        for current in self._core.tree.ancestors(node):
            if isinstance(current, (cst.FunctionDef, cst.Lambda, cst.Module)):
                break
            if isinstance(current, cst.For):
                names |= for_target_names(current)
        return frozenset(names)

    def is_epoch_loop(self, loop: Loop) -> bool:
        if loop.variable is None:
            return False
        if EPOCH_NAME.match(loop.variable) or loop.saves_variable_as_epoch:
            return True
        args = loop.range_args
        return args is not None and any(EPOCH_WORD.search(self._core.code(arg)) for arg in args)

    @cached_property
    def epoch_loops(self) -> Tuple[Loop, ...]:
        return tuple(loop for loop in self.all if self.is_epoch_loop(loop))

    def is_batch_loop(self, loop: Loop) -> bool:
        return loop.runs_step or bool(LOADER_WORD.search(self._core.code(loop.iter)))

    @cached_property
    def trains(self) -> bool:
        """The catalog's "a file that trains": it runs `backward()` or an optimizer step, directly
        or through a function of another project module."""
        return any(self._trains(call) for call in self._core.tree.nodes(cst.Call))

    def function_trains(self, function: cst.FunctionDef) -> bool:
        """``function`` runs `backward()` or an optimizer step: directly, through the same-file
        functions it calls, or through another module's."""
        return id(function) in self._training_functions

    def _trains(self, call: cst.Call) -> bool:
        if _is_step_call(call, self._core.code):
            return True
        external = self._core.external_function_involving(call, STEP_WORDS)
        return external is not None and external.trains

    def is_training_loop(self, loop: Loop) -> bool:
        """The catalog's training loop (CKPT401): its body runs `backward()` or an optimizer step,
        directly or through a project function (of this file, through the call graph, or of
        another module, by its summary)."""
        if loop.runs_step:
            return True
        callgraph = self._core.callgraph
        training = self._training_functions
        return any(
            self._trains(call) or id(callgraph.function_of(call)) in training
            for call in self._core.tree.nodes_within(loop.node.body, cst.Call)
        )

    @cached_property
    def _training_functions(self) -> Set[int]:
        """Ids of the same-file functions that run a training step: directly, through each other,
        or through a function of another module that trains."""
        tree = self._core.tree
        direct = {
            id(function)
            for call in tree.nodes(cst.Call)
            if self._trains(call)
            for function in [tree.enclosing_function(call)]
            if function is not None
        }
        return self._core.callgraph.reaches(direct)

    def innermost_step_loop(self, node: cst.CSTNode) -> Optional[Loop]:
        """The innermost enclosing `for` whose body runs a training step."""
        return next((loop for loop in self.enclosing(node) if loop.runs_step), None)

    # -- placement inside a loop (CKPT505) -------------------------------------
    def runs_every_iteration(self, node: cst.CSTNode, loop: cst.For) -> bool:
        """Whether ``node`` (inside ``loop``'s body) runs on every iteration of ``loop``: directly
        in its body, or under `with` / `try` / `finally` only. An `if`, an `else`, an `except`
        handler, a nested loop, a conditional expression or a lambda in between makes it
        conditional, and so does an earlier `continue` / `break` / `return` / `raise` in the loop
        body (`if step % N: continue`)."""
        tree = self._core.tree
        statement_level = False
        for current in tree.ancestors(node):
            if current is loop:
                return not self._exits_before(loop, node)
            if isinstance(current, cst.SimpleStatementLine):
                statement_level = True
            if not statement_level and isinstance(current, _CONDITIONAL_EXPRESSIONS):
                return False
            if statement_level and not isinstance(current, _UNCONDITIONAL):
                return False
        return False

    def _exits_before(self, loop: cst.For, node: cst.CSTNode) -> bool:
        """A `continue` / `break` / `return` / `raise` of ``loop`` (not of nested loops or functions)
        comes before ``node``."""
        tree = self._core.tree
        for exit_node in tree.nodes_within(loop.body, cst.Continue, cst.Break, cst.Return, cst.Raise):
            if not tree.before(exit_node, node):
                continue
            owner = tree.enclosing(exit_node, (cst.For, cst.While, cst.FunctionDef, cst.Lambda))
            if owner is loop:
                return True
        return False


_EQUAL = (cst.Equal, cst.Is)
_NOT_EQUAL = (cst.NotEqual, cst.IsNot)


def _selects_one(test: cst.BaseExpression, variable: str, in_body: bool) -> bool:
    """The branch of an `if` testing ``test`` runs for one value of ``variable`` at most
    (`Loops.selected_once`)."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        test, in_body = test.expression, not in_body
    if isinstance(test, cst.Name):
        return test.value == variable  # a flag: one truthy value, one falsy
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    left, target = test.left, test.comparisons[0]
    sides = (left, target.comparator)
    if not any(isinstance(side, cst.Name) and side.value == variable for side in sides):
        return False
    if not any(_is_literal(side) for side in sides):
        return False
    return isinstance(target.operator, _EQUAL) if in_body else isinstance(target.operator, _NOT_EQUAL)


def _is_literal(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float)):
        return True
    return isinstance(expr, cst.Name) and expr.value in ("True", "False", "None")


def for_target_names(loop: cst.For) -> FrozenSet[str]:
    """The names a `for` statement binds (`i` and `batch` in `for i, batch in ...`)."""
    names = set()
    stack: List[cst.CSTNode] = [loop.target]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            names.add(node.value)
        elif isinstance(node, (cst.Tuple, cst.List)):
            stack.extend(element.value for element in node.elements)
        elif isinstance(node, cst.StarredElement):
            stack.append(node.value)
    return frozenset(names)


# Blocks that run whenever the code around them runs.
_UNCONDITIONAL = (
    cst.SimpleStatementLine,
    cst.SimpleStatementSuite,
    cst.IndentedBlock,
    cst.With,
    cst.WithItem,
    cst.Try,
    cst.TryStar,
    cst.Finally,
)
# Expressions that may skip their operand.
_CONDITIONAL_EXPRESSIONS = (
    cst.IfExp,
    cst.BooleanOperation,
    cst.Lambda,
    cst.ListComp,
    cst.SetComp,
    cst.DictComp,
    cst.GeneratorExp,
)


# A training step is spelled `.backward()` or `.step()` (`_is_step_call`).
STEP_WORDS: FrozenSet[str] = frozenset({"backward", "step"})


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
