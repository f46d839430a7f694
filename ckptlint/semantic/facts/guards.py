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
or in a same-file function whose every call site is rank-guarded. A save is
rank-guarded when its call is, or when it is the call of a helper whose save
runs only under a rank guard (`save_on_master`: `if is_main_process():
torch.save(*args, **kwargs)`), of this file or of another module (its summary
says so): the catalog's last sentence of "Rank guard".

Barriers are every collective (`dist.barrier()`, `all_reduce`, ...,
`accelerator.wait_for_everyone()`, `ckptlint.runtime.barrier()`), and calls
of same-file functions that run one. They are indexed once per function, so
"is there a barrier after this statement" is a lookup.

Where a new barrier may go (CKPT302's fix: a barrier only some ranks reach
hangs the job, so this is proven or the answer is no):
- a test is *the same on every rank* when it is built from literals, loop
  variables and counters (`step`, `epoch`, `global_step`...), module
  constants, parameters with a literal default, names assigned from such
  values, and settings (`args.save_every`, `self.cfg.x`); a name or
  attribute that sounds like a main-process predicate (`is_root`,
  `should_save`, `master`, `local_...`, `best`) never is, nor is any call
  but `len`/`int`/`float`/`abs`/`min`/`max` of such values;
- a node is *reached by every rank* when every `if` around it in its
  function (and every early exit before it) tests the same on every rank,
  and its function is the module's top level, or is passed to
  `mp.spawn`/`start_processes`, or is called in this file only at places
  every rank reaches (two levels of callers); a function this file never
  calls is not known to be reached;
- `rank_at(node)`: how the process's rank is spelled at ``node``, for a
  fix that must seed per rank: a name bound there to a rank (`rank`, a
  `worker(rank, ...)` parameter; a global rank before a local one), else the
  companion's `get_rank()` where the process group is started earlier in
  the same function; None when neither is known.
- `barrier_point(save)`: the guarding `if` after which a barrier runs on
  every rank exactly as often as the save: its test is a rank test and
  nothing else (`rank == 0`, not `rank == 0 and step % N == 0`), the save
  runs whenever its branch runs (no other `if` or loop between them), and
  every rank reaches the `if`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Dict, FrozenSet, List, Optional, Set, Tuple

import libcst as cst

from ckptlint.semantic.core.module import ModuleCore
from ckptlint.semantic.core.syntax import int_literal, last_name
from ckptlint.semantic.core.words import last_names
from ckptlint.semantic.data import catalog
from ckptlint.semantic.facts.distributed import DistributedFacts
from ckptlint.semantic.facts.saves import SaveSite
from ckptlint.semantic.facts.loops import for_target_names

# The words a rank is spelled with (`is_rank`): a rank function, a name ending in `rank` (any
# case: `RANK`, `local_rank`), a process index.
RANK_WORDS: FrozenSet[str] = frozenset(
    {*catalog.RANK_FUNCTION_NAMES, *last_names(catalog.RANK_CALLS), "(?i)*rank", "(?i)*process_index"}
)

_EXITS = (cst.Return, cst.Raise, cst.Continue)
_ZERO_OR_MINUS_ONE = {"0", "-1"}
_RANK_FOLLOW_DEPTH = 3
# A name that may be a main-process predicate or a per-rank value the model does not know.
_PER_RANK_WORDS = re.compile(r"rank|root|main|master|leader|zero|primary|chief|writer|should|is_|local|host|best|process", re.I)
_COUNTER = re.compile(r"^(i|j|k|n|it|idx|index|step|steps|iter|iters|iteration|epoch|ep|batch\w*|\w*_(step|iter|iteration|epoch|idx|count|steps))$", re.I)
_SETTINGS_ROOTS = frozenset({"args", "opt", "opts", "cfg", "config", "conf", "hparams", "hp", "params", "flags", "FLAGS", "settings", "training_args"})
_PURE_CALLS = frozenset({"len", "int", "float", "abs", "min", "max", "round"})
_SPAWNERS = frozenset({"spawn", "start_processes"})
_CALLER_DEPTH = 2


@dataclass(frozen=True, eq=False)
class RankGuard:
    """Why a node runs on the main process only."""

    kind: str  # "if", "else", "early_return", "decorator", "caller", or "helper" (inside a save helper)
    statement: cst.CSTNode  # the guarding `if` (for "early_return": the `if ...: return`), or the function;
    # for "helper", the guard inside the helper (the helper call, for a helper of another module)
    function: Optional[cst.FunctionDef]  # for "helper", the helper's function (None in another module)
    inner: Optional[str] = None  # for "helper": the kind of the guard inside it (None in another module)


class Guards:
    def __init__(self, core: ModuleCore, distributed: DistributedFacts) -> None:
        self._core = core
        self._distributed = distributed
        self._extra = frozenset(name.rsplit(".", 1)[-1] for name in core.project.rank_guards)
        self._extra_qualnames = frozenset(core.project.rank_guards)
        self._asking: Set[Tuple[int, str]] = set()

    # -- rank expressions and tests ----------------------------------------
    def is_rank(self, expr: cst.BaseExpression) -> bool:
        """`rank`, `args.local_rank`, `dist.get_rank()`, `int(os.environ["RANK"])`, `rank % n`."""
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Modulo):
            return self.is_rank(expr.left)
        if isinstance(expr, cst.Call):
            name = self._core.qualname(expr.func)
            if name in catalog.RANK_CALLS or last_name(expr.func) in catalog.RANK_FUNCTION_NAMES:
                return True
            if self._returns_rank(expr):
                return True
            if name in ("int", "builtins.int") and len(expr.args) == 1:
                return self.is_rank(expr.args[0].value)
            if name in catalog.ENVIRON_READERS and expr.args:
                first = expr.args[0].value
                return isinstance(first, cst.SimpleString) and first.evaluated_value in catalog.RANK_VARIABLES
            return False
        if isinstance(expr, cst.Subscript) and self._core.qualname(expr.value) == "os.environ":
            element = expr.slice[0].slice if len(expr.slice) == 1 else None
            return isinstance(element, cst.Index) and isinstance(element.value, cst.SimpleString) and (
                element.value.evaluated_value in catalog.RANK_VARIABLES
            )
        name = last_name(expr)
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
        """(last name of the target, value) of every `x = value` / `self.x = value` in the file."""
        found: List[Tuple[str, cst.BaseExpression]] = []
        for node in self._core.tree.nodes(cst.Assign, cst.AnnAssign):
            targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
            for target in targets:
                name = last_name(target)
                if name is not None and node.value is not None:
                    found.append((name, node.value))
        return found

    def mentions_rank(self, expr: Optional[cst.BaseExpression], at: Optional[cst.CSTNode] = None) -> bool:
        """``expr`` depends on the rank: a rank expression anywhere in it, or in the value
        of a name it is (`path = f"ckpt_{rank}.pt"` then `torch.save(x, path)`)."""
        if expr is None:
            return False
        parts = self._core.tree.nodes_within(expr, cst.Name, cst.Attribute, cst.Call, cst.Subscript)
        if any(self.is_rank(e) for e in parts):
            return True
        if isinstance(expr, cst.Name) and at is not None:
            binding = self._core.bindings.reaching(expr.value, at)
            if binding is not None and binding.value is not None:
                return self.mentions_rank(binding.value)
        return False

    def save_depends_on_rank(self, save: SaveSite) -> bool:
        """What ``save`` writes, or where, depends on the rank (CKPT301 is silent): its path or object
        at the call, the path inside a save helper, or, for a helper of another module, what its
        summary says of its own save."""
        if self.path_mentions_rank(save.path) or self.mentions_rank(save.obj, save.call):
            return True
        if save.helper is not None and self.path_mentions_rank(save.inner_path):
            return True
        return save.external is not None and save.external.save_per_rank

    def path_mentions_rank(self, path: Optional[cst.BaseExpression], _depth: int = 0) -> bool:
        """A file name that depends on the rank, through the names it is built from
        (`index = accelerator.process_index`, `name = f"shard_{index}.bin"`, `path = root + name`,
        then `torch.save(x, path)`): a path is text, so every name in it is followed."""
        if path is None:
            return False
        parts = self._core.tree.nodes_within(path, cst.Name, cst.Attribute, cst.Call, cst.Subscript)
        if any(self.is_rank(e) for e in parts):
            return True
        if _depth >= _RANK_FOLLOW_DEPTH:
            return False
        for name in self._core.tree.nodes_within(path, cst.Name):
            binding = self._core.bindings.reaching(name.value, name)
            if binding is not None and binding.value is not None and self.path_mentions_rank(binding.value, _depth + 1):
                return True
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
            rank = left if int_literal(right) == "0" else right if int_literal(left) == "0" else None
            if rank is not None and self.is_rank(rank):
                return isinstance(op, cst.Equal)
            return None
        if isinstance(op, (cst.In, cst.NotIn)) and isinstance(right, (cst.List, cst.Tuple, cst.Set)):
            values = {int_literal(e.value) for e in right.elements}
            if "0" in values and values <= _ZERO_OR_MINUS_ONE and self.is_rank(left):
                return isinstance(op, cst.In)
            return None
        if not self.is_rank(left):
            return None
        bound = int_literal(right)
        if isinstance(op, cst.LessThanEqual) and bound == "0" or isinstance(op, cst.LessThan) and bound == "1":
            return True
        if isinstance(op, cst.GreaterThan) and bound == "0" or isinstance(op, cst.GreaterThanEqual) and bound == "1":
            return False
        return None

    def _is_predicate(self, expr: cst.BaseExpression) -> bool:
        target = expr.func if isinstance(expr, cst.Call) else expr
        name = last_name(target)
        if name is None:
            return False
        if name in catalog.MAIN_PROCESS_NAMES or name in self._extra or name in self.flags:
            return True
        if bool(self._extra_qualnames) and self._core.qualname(target) in self._extra_qualnames:
            return True
        return isinstance(expr, cst.Call) and self._returns_test(expr)

    def _returns_test(self, call: cst.Call) -> bool:
        """``call`` runs a function whose every return is a rank test (same file, or a project
        module's summary): `def is_main_process(): return get_rank() == 0`."""
        function = self._core.callgraph.function_of(call)
        if function is not None:
            return self.returns_rank_test(function)
        external = self._core.external_function(call)
        return external is not None and external.returns_rank_test

    def _returns_rank(self, call: cst.Call) -> bool:
        function = self._core.callgraph.function_of(call)
        if function is not None:
            return self.returns_rank(function)
        external = self._core.external_function_involving(call, RANK_WORDS)
        return external is not None and external.returns_rank

    def returns_rank_test(self, function: cst.FunctionDef) -> bool:
        """Every return of ``function`` is a rank test."""
        returns = self._returns_of(function, "test")
        return bool(returns) and all(v is not None and self.test(v) is True for v in returns)

    def returns_rank(self, function: cst.FunctionDef) -> bool:
        """``function`` returns a rank (or 0 / -1 without a process group):
        `def get_rank(): if not dist.is_initialized(): return 0; return dist.get_rank()`."""
        returns = self._returns_of(function, "rank")
        if not returns or any(v is None for v in returns):
            return False
        ranks = [v for v in returns if int_literal(v) not in _ZERO_OR_MINUS_ONE]  # type: ignore[arg-type]
        return bool(ranks) and all(self.is_rank(v) for v in ranks)  # type: ignore[arg-type]

    def _returns_of(self, function: cst.FunctionDef, question: str) -> Tuple[Optional[cst.BaseExpression], ...]:
        """The returns of ``function``; empty while it is already being asked ``question``
        (a recursive helper is not followed into itself)."""
        if (id(function), question) in self._asking:
            return ()
        self._asking.add((id(function), question))
        try:
            return tuple(self._core.callgraph.returns(function))
        finally:
            self._asking.discard((id(function), question))

    def syncs(self, function: cst.FunctionDef) -> bool:
        """``function`` runs a collective, directly or through the functions it calls."""
        return id(function) in self._syncing_functions

    def _not_distributed(self, expr: cst.BaseExpression) -> bool:
        """`not args.distributed`, `not dist.is_initialized()`, `world_size == 1`."""
        if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Not):
            return bool(catalog.NOT_DISTRIBUTED_WORDS.search(self._core.code(expr.expression)))
        if isinstance(expr, cst.Comparison) and len(expr.comparisons) == 1:
            op, bound = expr.comparisons[0].operator, int_literal(expr.comparisons[0].comparator)
            name = last_name(expr.left)
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
        parent = self._core.tree.parent
        function = self._core.bindings.enclosing_function(node)
        child, current = node, parent(node)
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
            child, current = current, parent(current)
        if function is None:
            return None
        if any(last_name(_decorator_name(d)) in catalog.RANK_ZERO_DECORATORS for d in function.decorators):
            return RankGuard("decorator", function, function)
        if _depth < 2:
            callers = self.callers(function)
            if callers and all(self.guard_of(call, _depth + 1) is not None for call in callers):
                return RankGuard("caller", function, function)
        return None

    def save_guard(self, save: SaveSite) -> Optional[RankGuard]:
        """The rank guard of a save: that of its call, or else, for the call of a save helper whose
        save runs only under a rank guard, a "helper" guard (the guard of the inner save, or what
        the summary of another module's helper says)."""
        found = self.guard_of(save.call)
        if found is not None:
            return found
        if save.guarded_inside:
            return RankGuard("helper", save.call, None)
        if save.helper is None:
            return None
        inner = self.guard_of(save.torch_save)
        return RankGuard("helper", inner.statement, inner.function, inner.kind) if inner is not None else None

    def context_unknown(self, node: cst.CSTNode) -> bool:
        """``node`` is in a library helper whose rank context the file cannot show: its
        function (and every function around it) is never referenced in this file, and
        the file is distributed only because it reads `RANK`/`LOCAL_RANK` (a utility
        module such as yolov5's `utils/general.py`, called from a guarded caller elsewhere)."""
        facts = self._distributed
        if facts.starts_process_group or facts.wraps_distributed or facts.builds_distributed_sampler:
            return False
        function = self._core.bindings.enclosing_function(node)
        if function is None:
            return False
        while function is not None:
            if self._referenced(function):
                return False
            function = self._core.bindings.enclosing_function(function)
        return True

    def _referenced(self, function: cst.FunctionDef) -> bool:
        if self._core.callgraph.is_referenced(function):
            return True
        name = function.name.value
        return bool(re.search(rf"\.{re.escape(name)}\b", self._core.text))  # `self.name` / `obj.name` anywhere

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
                return self._core.qualname(small.value.func) in catalog.PROCESS_EXITS
        return isinstance(last, _EXITS)

    def callers(self, function: cst.FunctionDef) -> Tuple[cst.Call, ...]:
        """Same-file call sites of ``function`` (the call graph's)."""
        return self._core.callgraph.callers(function)

    def rank_at(self, node: cst.CSTNode) -> Optional[str]:
        """The rank's spelling at ``node`` (module docstring); "get_rank()" for the companion's."""
        bindings = self._core.bindings
        function = self._core.tree.enclosing_function(node)
        names = bindings.local_names(function) if function is not None else bindings.module_names()
        ranks = [
            name for name in names
            if self.is_rank(cst.Name(name)) and bindings.reaching(name, node) is not None
        ]
        if ranks:
            return sorted(ranks, key=lambda name: ("local" in name.lower(), name))[0]
        starts = self._core.calls_to(*catalog.PROCESS_GROUP_STARTS)
        tree = self._core.tree
        if any(tree.enclosing_function(site.node) is function and tree.before(site.node, node)
               and self.reached_by_every_rank(site.node) for site in starts):
            return "get_rank()"
        return None

    # -- where every rank goes (module docstring) ---------------------------
    def barrier_point(self, save_call: cst.Call) -> Optional[cst.If]:
        """The guarding `if` after which a barrier runs on every rank exactly as often as the save."""
        guard = self.guard_of(save_call)
        if guard is None or guard.kind not in ("if", "else") or not isinstance(guard.statement, cst.If):
            return None
        statement = guard.statement
        if not self._only_rank_test(statement.test):
            return None
        for ancestor in self._core.tree.ancestors(save_call):
            if ancestor is statement:
                break
            if isinstance(ancestor, (cst.If, cst.For, cst.While, cst.Match)) or isinstance(ancestor, cst.ExceptHandler):
                return None  # the save runs less often than the branch that holds it
        return statement if self.reached_by_every_rank(statement) else None

    def _only_rank_test(self, test: cst.BaseExpression) -> bool:
        """A rank test (or its negation) with no other condition joined to it by `and`."""
        if isinstance(test, cst.BooleanOperation):
            if isinstance(test.operator, cst.And):
                return self._only_rank_test(test.left) and self._only_rank_test(test.right)
            return self.test(test) is not None  # `not args.distributed or rank == 0`
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            return self._only_rank_test(test.expression) or self.test(test) is not None
        return self.test(test) is not None

    def reached_by_every_rank(self, node: cst.CSTNode, _depth: int = 0) -> bool:
        """Every rank that runs ``node``'s function reaches ``node``, and every rank runs the function."""
        tree = self._core.tree
        parent = tree.parent
        function = tree.enclosing_function(node)
        child, current = node, parent(node)
        while current is not None and current is not function:
            if isinstance(current, (cst.If, cst.While)) and child is not current.test:
                if not self.same_on_every_rank(current.test, current):
                    return False
            elif isinstance(current, (cst.Match, cst.IfExp, cst.BooleanOperation, cst.ExceptHandler)):
                return False
            if isinstance(current, (cst.IndentedBlock, cst.Module)) and self._exits_before(current, child):
                return False
            child, current = current, parent(current)
        if function is None:
            return True
        if any(last_name(_decorator_name(d)) in catalog.RANK_ZERO_DECORATORS for d in function.decorators):
            return False
        if self._spawned(function):
            return True
        callers = self.callers(function)
        if not callers or _depth >= _CALLER_DEPTH:
            return False
        return all(self.guard_of(call) is None and self.reached_by_every_rank(call, _depth + 1) for call in callers)

    def _exits_before(self, block: cst.CSTNode, statement: cst.CSTNode) -> bool:
        """An `if` before ``statement`` in ``block`` that may leave it, on a test not the same on every rank."""
        for previous in block.body:  # type: ignore[attr-defined]
            if previous is statement:
                return False
            if isinstance(previous, cst.If) and self._ends_in_exit(previous.body) and not self.same_on_every_rank(previous.test, previous):
                return True
        return False

    def _spawned(self, function: cst.FunctionDef) -> bool:
        """``function`` is what `mp.spawn(fn, ...)` / `start_processes(fn, ...)` runs in every process."""
        scope = self._core.scopes.scope_at(function)
        for read in self._core.scopes.reads_of(scope, function.name.value):
            arg = self._core.parent(read)
            call = self._core.parent(arg) if isinstance(arg, cst.Arg) else None
            if isinstance(call, cst.Call) and call.args and call.args[0] is arg and last_name(call.func) in _SPAWNERS:
                return True
        return False

    def same_on_every_rank(self, test: cst.BaseExpression, at: cst.CSTNode, _depth: int = 0) -> bool:
        """``test`` has the same value on every rank (module docstring)."""
        if isinstance(test, (cst.Integer, cst.Float, cst.SimpleString, cst.ConcatenatedString)):
            return True
        if isinstance(test, cst.Comparison):
            return self.same_on_every_rank(test.left, at, _depth) and all(
                self.same_on_every_rank(c.comparator, at, _depth) for c in test.comparisons
            )
        if isinstance(test, (cst.BooleanOperation, cst.BinaryOperation)):
            return self.same_on_every_rank(test.left, at, _depth) and self.same_on_every_rank(test.right, at, _depth)
        if isinstance(test, cst.UnaryOperation):
            return self.same_on_every_rank(test.expression, at, _depth)
        if isinstance(test, cst.Call):
            return isinstance(test.func, cst.Name) and test.func.value in _PURE_CALLS and all(
                not arg.star and self.same_on_every_rank(arg.value, at, _depth) for arg in test.args
            )
        if isinstance(test, cst.Attribute):
            return self._setting(test)
        if isinstance(test, cst.Name):
            return self._same_name(test, at, _depth)
        return False

    def _setting(self, attribute: cst.Attribute) -> bool:
        """`args.save_every`, `self.cfg.save_every`, `self.global_step`: a setting or a counter."""
        if _PER_RANK_WORDS.search(attribute.attr.value):
            return False
        parts: List[str] = []
        current: cst.BaseExpression = attribute
        while isinstance(current, cst.Attribute):
            parts.append(current.attr.value)
            current = current.value
        if not isinstance(current, cst.Name):
            return False
        parts.append(current.value)
        parts.reverse()
        if any(_PER_RANK_WORDS.search(part) for part in parts[1:]):
            return False
        if parts[0] in _SETTINGS_ROOTS or parts[0] == "self" and len(parts) > 2 and parts[1] in _SETTINGS_ROOTS:
            return True
        return parts[0] == "self" and len(parts) == 2 and bool(_COUNTER.match(parts[1]))

    def _same_name(self, name: cst.Name, at: cst.CSTNode, depth: int) -> bool:
        value = name.value
        if value in ("True", "False", "None", "__name__"):
            return True
        if _PER_RANK_WORDS.search(value) or value in self.flags or self.is_rank(name):
            return False
        if _COUNTER.match(value) or value.isupper():
            return True
        loop = self._core.tree.enclosing(at, (cst.For,), stop=(cst.FunctionDef,))
        while loop is not None:
            if value in for_target_names(loop):  # type: ignore[arg-type]
                return True
            loop = self._core.tree.enclosing(loop, (cst.For,), stop=(cst.FunctionDef,))
        binding = self._core.bindings.reaching(value, at)
        if binding is None or depth >= _RANK_FOLLOW_DEPTH:
            return False
        if binding.is_parameter and isinstance(binding.node, cst.Param):
            default = binding.node.default
            return default is not None and isinstance(default, (cst.Integer, cst.Float))
        return binding.value is not None and self.same_on_every_rank(binding.value, binding.value, depth + 1)

    # -- barriers ----------------------------------------------------------
    def is_collective(self, call: cst.Call) -> bool:
        name = self._core.qualname(call.func)
        if name in catalog.NOT_COLLECTIVES:
            return False
        if name in catalog.COLLECTIVES:
            return True
        last = last_name(call.func)
        return last is not None and bool(catalog.COLLECTIVE_NAMES.match(last))

    @cached_property
    def _syncing_functions(self) -> Set[int]:
        """Ids of the same-file functions that run a collective, directly or through each other."""
        direct = {
            id(function)
            for call in self._core.tree.nodes(cst.Call)
            if self.is_collective(call)
            for function in [self._core.tree.enclosing_function(call)]
            if function is not None
        }
        return self._core.callgraph.reaches(direct)

    @cached_property
    def _barriers(self) -> Dict[int, List[cst.Call]]:
        """Collectives, and calls of same-file functions that run one, per enclosing function id."""
        syncing = self._syncing_functions
        found: Dict[int, List[cst.Call]] = {}
        for call in self._core.tree.nodes(cst.Call):
            if self.is_collective(call) or id(self._core.callgraph.function_of(call)) in syncing:
                found.setdefault(id(self._core.tree.enclosing_function(call)), []).append(call)
        return found

    def barrier_after(self, statement: cst.CSTNode) -> bool:
        """A collective runs after ``statement`` in its function: later in the
        source, or anywhere in an enclosing loop's body (the next iteration)."""
        tree = self._core.tree
        function = tree.enclosing_function(statement)
        barriers = self._barriers.get(id(function), [])
        if not barriers:
            return False
        if any(tree.before(statement, call) for call in barriers):
            return True
        for current in tree.ancestors(statement):
            if current is function:
                break
            if isinstance(current, (cst.For, cst.While)) and any(tree.contains(current, call) for call in barriers):
                return True
        return False


def _decorator_name(decorator: cst.Decorator) -> cst.BaseExpression:
    expr = decorator.decorator
    return expr.func if isinstance(expr, cst.Call) else expr
