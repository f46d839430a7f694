"""Rank guards and barriers (the catalog's "Rank guard" and "Barriers").

A *rank test* is an expression that is true on the main process only:
`rank == 0`, `dist.get_rank() == 0`, `args.local_rank in [-1, 0]`,
`not rank`, `rank % ngpus == 0`, a main-process predicate
(`is_main_process()`, `accelerator.is_main_process`, `trainer.is_global_zero`,
a same-file flag assigned from a rank test such as
`master_process = ddp_rank == 0`, the project's `rank-guards`), a conjunction
with one, or a disjunction whose other side holds only without a process
group (`not args.distributed or rank == 0`). Its *negation* (`rank != 0`,
`not is_main_process()`) guards what follows an early exit.

A node is rank-guarded when it sits in the body of an `if` with a rank test
(or the `else` of a negation), after an early `return`/`raise`/`continue` on
a negation in the same function, in a function decorated `@rank_zero_only`,
or in a same-file function whose every call site is rank-guarded.

Barriers are every collective (`dist.barrier()`, `all_reduce`, ...,
`accelerator.wait_for_everyone()`, `ckptlint.runtime.barrier()`), and calls
of same-file functions that run one. They are indexed once per function, so
"is there a barrier after this statement" is a lookup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Dict, FrozenSet, List, Optional, Set, Tuple

import libcst as cst

from ckptlint.config.settings import ProjectSettings
from ckptlint.semantic import catalog
from ckptlint.semantic.core.names import LOCAL_PREFIX
from ckptlint.semantic.core.walk import visit_tree

if TYPE_CHECKING:
    from ckptlint.semantic.model import SemanticModel

_EXITS = (cst.Return, cst.Raise, cst.Continue)
_ZERO_OR_MINUS_ONE = {"0", "-1"}


@dataclass(frozen=True, eq=False)
class RankGuard:
    """Why a node runs on the main process only."""

    kind: str  # "if", "else", "early_return", "decorator", "caller"
    statement: cst.CSTNode  # the guarding `if` (for "early_return": the `if ...: return`), or the function
    function: Optional[cst.FunctionDef]


def _last_name(expr: cst.BaseExpression) -> Optional[str]:
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    return None


def _int_literal(expr: cst.BaseExpression) -> Optional[str]:
    if isinstance(expr, cst.Integer):
        return expr.value
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus) and isinstance(expr.expression, cst.Integer):
        return "-" + expr.expression.value
    return None


class Guards:
    def __init__(self, model: "SemanticModel", project: ProjectSettings) -> None:
        self._model = model
        self._extra = frozenset(name.rsplit(".", 1)[-1] for name in project.rank_guards)
        self._extra_qualnames = frozenset(project.rank_guards)

    # -- rank expressions and tests ----------------------------------------
    def is_rank(self, expr: cst.BaseExpression) -> bool:
        """`rank`, `args.local_rank`, `dist.get_rank()`, `int(os.environ["RANK"])`, `rank % n`."""
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Modulo):
            return self.is_rank(expr.left)
        if isinstance(expr, cst.Call):
            name = self._model.qualname(expr.func)
            if name in catalog.RANK_CALLS or _last_name(expr.func) in catalog.RANK_FUNCTION_NAMES:
                return True
            if name in ("int", "builtins.int") and len(expr.args) == 1:
                return self.is_rank(expr.args[0].value)
            if name in catalog.ENVIRON_READERS and expr.args:
                first = expr.args[0].value
                return isinstance(first, cst.SimpleString) and first.evaluated_value in catalog.RANK_VARIABLES
            return False
        if isinstance(expr, cst.Subscript) and self._model.qualname(expr.value) == "os.environ":
            element = expr.slice[0].slice if len(expr.slice) == 1 else None
            return isinstance(element, cst.Index) and isinstance(element.value, cst.SimpleString) and (
                element.value.evaluated_value in catalog.RANK_VARIABLES
            )
        name = _last_name(expr)
        return name is not None and (bool(catalog.RANK_NAME.search(name)) or name in self.rank_aliases)

    @cached_property
    def rank_aliases(self) -> FrozenSet[str]:
        """Same-file names (or `self.x` attributes) assigned a rank under another name:
        `self.gpu_id = int(os.environ["LOCAL_RANK"])`, `gpu = dist.get_rank()`."""
        self.__dict__["rank_aliases"] = frozenset()  # an alias is defined by a rank, not by another alias
        found = frozenset(
            target for target, value in self._assignments if self.is_rank(value)
        )
        self.__dict__["rank_aliases"] = found
        return found

    @cached_property
    def _assignments(self) -> List[Tuple[str, cst.BaseExpression]]:
        finder = _FlagAssignments()
        visit_tree(self._model.module, finder)
        return finder.found

    def mentions_rank(self, expr: Optional[cst.BaseExpression], at: Optional[cst.CSTNode] = None) -> bool:
        """``expr`` depends on the rank: a rank expression anywhere in it, or in the value
        of a name it is (`path = f"ckpt_{rank}.pt"` then `torch.save(x, path)`)."""
        if expr is None:
            return False
        finder = _Expressions()
        visit_tree(expr, finder)
        if any(self.is_rank(e) for e in finder.found):
            return True
        if isinstance(expr, cst.Name) and at is not None:
            binding = self._model.bindings.reaching(expr.value, at)
            if binding is not None and binding.value is not None:
                return self.mentions_rank(binding.value)
        return False

    def test(self, expr: cst.BaseExpression) -> Optional[bool]:
        """True for a rank test, False for its negation, None for anything else."""
        if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Not):
            if self.is_rank(expr.expression):
                return True  # `not rank`
            inner = self.test(expr.expression)
            return None if inner is None else not inner
        if isinstance(expr, cst.BooleanOperation):
            left, right = self.test(expr.left), self.test(expr.right)
            if isinstance(expr.operator, cst.And):
                return True if True in (left, right) else None
            if False in (left, right):
                return False  # `if rank != 0 or x: return`
            if left is True and self._not_distributed(expr.right) or right is True and self._not_distributed(expr.left):
                return True
            return True if left is True and right is True else None
        if isinstance(expr, cst.Comparison) and len(expr.comparisons) == 1:
            return self._comparison(expr.left, expr.comparisons[0])
        if self._is_predicate(expr):
            return True
        return None

    def _comparison(self, left: cst.BaseExpression, target: cst.ComparisonTarget) -> Optional[bool]:
        op, right = target.operator, target.comparator
        if isinstance(op, (cst.Equal, cst.NotEqual)):
            rank = left if _int_literal(right) == "0" else right if _int_literal(left) == "0" else None
            if rank is not None and self.is_rank(rank):
                return isinstance(op, cst.Equal)
            return None
        if isinstance(op, (cst.In, cst.NotIn)) and isinstance(right, (cst.List, cst.Tuple, cst.Set)):
            values = {_int_literal(e.value) for e in right.elements}
            if "0" in values and values <= _ZERO_OR_MINUS_ONE and self.is_rank(left):
                return isinstance(op, cst.In)
            return None
        if not self.is_rank(left):
            return None
        bound = _int_literal(right)
        if isinstance(op, cst.LessThanEqual) and bound == "0" or isinstance(op, cst.LessThan) and bound == "1":
            return True
        if isinstance(op, cst.GreaterThan) and bound == "0" or isinstance(op, cst.GreaterThanEqual) and bound == "1":
            return False
        return None

    def _is_predicate(self, expr: cst.BaseExpression) -> bool:
        target = expr.func if isinstance(expr, cst.Call) else expr
        name = _last_name(target)
        if name is None:
            return False
        if name in catalog.MAIN_PROCESS_NAMES or name in self._extra or name in self.flags:
            return True
        return bool(self._extra_qualnames) and self._model.qualname(target) in self._extra_qualnames

    def _not_distributed(self, expr: cst.BaseExpression) -> bool:
        """`not args.distributed`, `not dist.is_initialized()`, `world_size == 1`."""
        if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Not):
            return bool(catalog.NOT_DISTRIBUTED_WORDS.search(self._model.code(expr.expression)))
        if isinstance(expr, cst.Comparison) and len(expr.comparisons) == 1:
            op, bound = expr.comparisons[0].operator, _int_literal(expr.comparisons[0].comparator)
            name = _last_name(expr.left)
            if name is not None and catalog.WORLD_SIZE_NAME.search(name):
                return isinstance(op, cst.Equal) and bound == "1" or isinstance(op, cst.LessThanEqual) and bound == "1"
        return False

    @cached_property
    def flags(self) -> FrozenSet[str]:
        """Same-file names (or `self.x` attributes) assigned from a rank test: `master_process = rank == 0`."""
        self.__dict__["flags"] = frozenset()  # a flag is defined by a test, not by another flag
        found: Set[str] = set()
        for target, value in self._assignments:
            if isinstance(value, (cst.Comparison, cst.BooleanOperation, cst.UnaryOperation)) and self.test(value) is True:
                found.add(target)
        return frozenset(found)

    # -- where a node is guarded -------------------------------------------
    def guard_of(self, node: cst.CSTNode, _depth: int = 0) -> Optional[RankGuard]:
        """The rank guard that makes ``node`` run on the main process only, if any."""
        parents = self._model.parents
        function = self._model.bindings.enclosing_function(node)
        child, current = node, parents.get(node)
        while current is not None and current is not function:
            if isinstance(current, cst.If):
                result = self.test(current.test)
                if child is current.body and result is True:
                    return RankGuard("if", current, function)
                if child is current.orelse and result is False:
                    return RankGuard("else", current, function)
            if isinstance(current, (cst.IndentedBlock, cst.Module)):
                exit_guard = self._early_exit_before(current, child)
                if exit_guard is not None:
                    return RankGuard("early_return", exit_guard, function)
            child, current = current, parents.get(current)
        if function is None:
            return None
        if any(_last_name(_decorator_name(d)) in catalog.RANK_ZERO_DECORATORS for d in function.decorators):
            return RankGuard("decorator", function, function)
        if _depth < 2:
            callers = self.callers(function)
            if callers and all(self.guard_of(call, _depth + 1) is not None for call in callers):
                return RankGuard("caller", function, function)
        return None

    def context_unknown(self, node: cst.CSTNode) -> bool:
        """``node`` is in a library helper whose rank context the file cannot show: its
        function (and every function around it) is never referenced in this file, and
        the file is distributed only because it reads `RANK`/`LOCAL_RANK` (a utility
        module such as yolov5's `utils/general.py`, called from a guarded caller elsewhere)."""
        facts = self._model.distributed
        if facts.starts_process_group or facts.wraps_distributed or facts.builds_distributed_sampler:
            return False
        function = self._model.bindings.enclosing_function(node)
        if function is None:
            return False
        while function is not None:
            if self._referenced(function):
                return False
            function = self._model.bindings.enclosing_function(function)
        return True

    def _referenced(self, function: cst.FunctionDef) -> bool:
        if self.callers(function):
            return True
        name = function.name.value
        scope = self._model.scopes.scope_at(function)
        if self._model.scopes.reads_of(scope, name):
            return True
        return bool(re.search(rf"\.{re.escape(name)}\b", self._model.text))  # `self.name` / `obj.name` anywhere

    def _early_exit_before(self, block: cst.CSTNode, statement: cst.CSTNode) -> Optional[cst.If]:
        for previous in block.body:  # type: ignore[attr-defined]
            if previous is statement:
                return None
            if (
                isinstance(previous, cst.If)
                and previous.orelse is None
                and self._ends_in_exit(previous.body)
                and self.test(previous.test) is False
            ):
                return previous
        return None

    def _ends_in_exit(self, body: cst.BaseSuite) -> bool:
        last = body.body[-1] if body.body else None
        if isinstance(last, cst.SimpleStatementLine):
            small = last.body[-1]
            if isinstance(small, _EXITS):
                return True
            if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
                return self._model.qualname(small.value.func) in ("sys.exit", "exit", "quit", "os._exit")
        return isinstance(last, _EXITS)

    def callers(self, function: cst.FunctionDef) -> Tuple[cst.Call, ...]:
        """Same-file call sites of ``function`` (`f(...)`, or `self.f(...)` for a method)."""
        return tuple(self._callers.get(function.name.value, {}).get(id(function), ()))

    @cached_property
    def _callers(self) -> Dict[str, Dict[int, List[cst.Call]]]:
        model = self._model
        bindings = model.bindings
        functions: Dict[str, List[cst.FunctionDef]] = {}
        definitions = _FunctionDefinitions()
        visit_tree(model.module, definitions)
        for function in definitions.found:
            functions.setdefault(function.name.value, []).append(function)
        table: Dict[str, Dict[int, List[cst.Call]]] = {}
        for indexed in model.index.calls:
            func = indexed.node.func
            name = _last_name(func)
            if name not in functions:
                continue
            for function in functions[name]:
                is_method = bindings.enclosing_class(function) is not None
                if isinstance(func, cst.Name) and not is_method and model.qualname(func) == LOCAL_PREFIX + name:
                    table.setdefault(name, {}).setdefault(id(function), []).append(indexed.node)
                elif (
                    isinstance(func, cst.Attribute) and is_method and isinstance(func.value, cst.Name)
                    and func.value.value == "self" and indexed.class_def is bindings.enclosing_class(function)
                ):
                    table.setdefault(name, {}).setdefault(id(function), []).append(indexed.node)
        return table

    # -- barriers ----------------------------------------------------------
    def is_collective(self, call: cst.Call) -> bool:
        name = self._model.qualname(call.func)
        if name in catalog.NOT_COLLECTIVES:
            return False
        if name in catalog.COLLECTIVES:
            return True
        last = _last_name(call.func)
        return last is not None and bool(catalog.COLLECTIVE_NAMES.match(last))

    @cached_property
    def _collective_offsets(self) -> Dict[int, List[int]]:
        """Start offsets of collectives (and calls of same-file functions that run one), per function id."""
        model = self._model
        syncing: Set[str] = set()
        by_function: Dict[str, List[cst.Call]] = {}
        for indexed in model.index.calls:
            owner = indexed.function
            if isinstance(owner, cst.FunctionDef):
                by_function.setdefault(owner.name.value, []).append(indexed.node)
                if self.is_collective(indexed.node):
                    syncing.add(owner.name.value)
        changed = True
        while changed:  # functions that call a syncing same-file function sync too
            changed = False
            for name, calls in by_function.items():
                if name not in syncing and any(_last_name(c.func) in syncing for c in calls):
                    syncing.add(name)
                    changed = True
        offsets: Dict[int, List[int]] = {}
        for indexed in model.index.calls:
            call = indexed.node
            if self.is_collective(call) or _last_name(call.func) in syncing:
                offsets.setdefault(id(indexed.function), []).append(model.span(call).start_offset)
        return offsets

    def barrier_after(self, statement: cst.CSTNode) -> bool:
        """A collective runs after ``statement`` in its function: later in the
        source, or anywhere in an enclosing loop's body (the next iteration)."""
        model = self._model
        function = model.bindings.enclosing_function(statement)
        offsets = self._collective_offsets.get(id(function), [])
        if not offsets:
            return False
        end = model.span(statement).end_offset
        if any(offset >= end for offset in offsets):
            return True
        current = model.parents.get(statement)
        while current is not None and current is not function:
            if isinstance(current, (cst.For, cst.While)):
                span = model.span(current)
                if any(span.start_offset <= offset < span.end_offset for offset in offsets):
                    return True
            current = model.parents.get(current)
        return False


def _decorator_name(decorator: cst.Decorator) -> cst.BaseExpression:
    expr = decorator.decorator
    return expr.func if isinstance(expr, cst.Call) else expr


class _FlagAssignments(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: List[Tuple[str, cst.BaseExpression]] = []

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            name = _last_name(target.target)
            if name is not None:
                self.found.append((name, node.value))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        name = _last_name(node.target)
        if name is not None and node.value is not None:
            self.found.append((name, node.value))


class _FunctionDefinitions(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: List[cst.FunctionDef] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.found.append(node)


class _Expressions(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: List[cst.BaseExpression] = []

    def visit_Name(self, node: cst.Name) -> None:
        self.found.append(node)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.found.append(node)

    def visit_Call(self, node: cst.Call) -> None:
        self.found.append(node)

    def visit_Subscript(self, node: cst.Subscript) -> None:
        self.found.append(node)
