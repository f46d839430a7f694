"""Seeding facts of a module: what it seeds, with which value, and its cuDNN settings.

"A file that seeds" is the catalog's: it calls `torch.manual_seed`,
`torch.cuda.manual_seed(_all)`, `random.seed`, `np.random.seed`, a same-file
function that calls one of these, `ckptlint.runtime.seed_everything`,
Lightning's `seed_everything` or `transformers`/`accelerate` `set_seed`
(`catalog.SEEDING_CALLS`). A `torch.Generator().manual_seed(...)` is a method
of a generator, never one of these names, so it does not count.
Everything is computed once per file, from the call table and one pass over
the assignments that can set cuDNN flags.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Dict, FrozenSet, List, Optional, Tuple

import libcst as cst

from ckptlint.semantic.core.calls import CallSite
from ckptlint.semantic.core.module import ModuleCore
from ckptlint.semantic.core.names import LOCAL_PREFIX
from ckptlint.semantic.core.words import last_names
from ckptlint.semantic.data import catalog


@dataclass(frozen=True, eq=False)
class SeedingCall:
    """A call that seeds: a catalog seeding function, or a same-file helper that calls one."""

    call: cst.Call
    qualname: str  # the seeding function, or `<local>.helper`
    rngs: FrozenSet[str]  # "torch", "random", "numpy"
    seed: Optional[cst.BaseExpression]  # the seed value as written at this call (bound through a helper)
    helper: Optional[cst.FunctionDef] = None  # set for a call of a same-file seeding helper
    is_statement: bool = False
    in_worker_init: bool = False  # re-seeds a DataLoader worker from the seed chosen elsewhere


@dataclass(frozen=True, eq=False)
class FlagAssignment:
    """`torch.backends.cudnn.<flag> = value` (any import spelling)."""

    statement: cst.Assign
    flag: str  # canonical name
    value: cst.BaseExpression

    @property
    def literal_true(self) -> bool:
        return isinstance(self.value, cst.Name) and self.value.value == "True"

    @property
    def literal_false(self) -> bool:
        return isinstance(self.value, cst.Name) and self.value.value in ("False", "None")


class Seeding:
    """What one module seeds, draws, and asks of cuDNN."""

    def __init__(self, core: ModuleCore) -> None:
        self._core = core
        self._worker_inits = self._worker_init_functions()
        self.direct: List[SeedingCall] = [self._direct(site) for site in core.calls_to(*catalog.SEEDING_CALLS)]
        self.helpers: Dict[int, Tuple[cst.FunctionDef, FrozenSet[str], List[SeedingCall]]] = self._helpers()

    @cached_property
    def external(self) -> List[SeedingCall]:
        """Calls of other project modules' seeding helpers (read by this file's own rules, never by
        its summary: a summary built for another module reads no summary of this one's imports
        for them)."""
        return self._external_calls()

    @cached_property
    def calls(self) -> List[SeedingCall]:
        """The run's seeding, in source order: a worker's re-seeding is not the run choosing a seed."""
        return sorted(
            [c for c in self.direct if not c.in_worker_init] + self._helper_calls() + self.external,
            key=lambda c: self._core.tree.order[c.call],
        )

    # -- seeding calls -----------------------------------------------------
    def _direct(self, site: CallSite) -> SeedingCall:
        function = self._core.bindings.enclosing_function(site.node)
        return SeedingCall(
            call=site.node,
            qualname=site.qualname,
            rngs=catalog.SEEDING_CALLS[site.qualname],
            seed=seed_argument(site.node),
            is_statement=site.is_expression_statement,
            in_worker_init=function is not None and id(function) in self._worker_inits,
        )

    def _worker_init_functions(self) -> FrozenSet[int]:
        """Functions that seed DataLoader workers: a `worker_id` parameter (the `worker_init_fn`
        signature), or a same-file function passed as `worker_init_fn=`."""
        core = self._core
        passed = set()
        for site in core.calls_to(*catalog.DATALOADER_CLASSES):
            arg = site.arg("worker_init_fn")
            if arg is not None and isinstance(arg.value, cst.Name):
                passed.add(arg.value.value)
        found = set()
        for site in core.calls_to(*catalog.SEEDING_CALLS):
            function = core.tree.enclosing_function(site.node)
            if function is None:
                continue
            names = {p.name.value for p in (*function.params.posonly_params, *function.params.params)}
            if names & catalog.WORKER_INIT_PARAMETERS or function.name.value in passed:
                found.add(id(function))
        return frozenset(found)

    def _helpers(self) -> Dict[int, Tuple[cst.FunctionDef, FrozenSet[str], List[SeedingCall]]]:
        """Same-file functions that seed (not worker inits, which run in the workers), by id."""
        helpers: Dict[int, Tuple[cst.FunctionDef, FrozenSet[str], List[SeedingCall]]] = {}
        for seeding in self.direct:
            function = self._core.tree.enclosing_function(seeding.call)
            if function is None or seeding.in_worker_init:
                continue
            _, rngs, inner = helpers.get(id(function), (function, frozenset(), []))
            helpers[id(function)] = (function, rngs | seeding.rngs, inner + [seeding])
        return helpers

    def _helper_calls(self) -> List[SeedingCall]:
        """Calls of the seeding helpers (the call graph's: `set_seed(1)`, `self.seed_all(s)`)."""
        core = self._core
        found: List[SeedingCall] = []
        statements = core.index.statement_calls
        for function, rngs, inner in self.helpers.values():
            for call in core.callgraph.callers(function):
                found.append(
                    SeedingCall(
                        call=call,
                        qualname=f"{LOCAL_PREFIX}{function.name.value}",
                        rngs=rngs,
                        seed=self._seed_through_helper(call, function, inner),
                        helper=function,
                        is_statement=id(call) in statements,
                    )
                )
        return found

    def _external_calls(self) -> List[SeedingCall]:
        """Calls of seeding helpers of other project modules (`set_random_seed(seed)` from `utils`)."""
        core = self._core
        if core.view is None:
            return []
        found = []
        statements = core.index.statement_calls
        for call in core.tree.nodes(cst.Call):
            external = core.external_function_involving(call, SEEDING_WORDS)
            if external is None or not external.seeds:
                continue
            seed = core.external_arguments(call).get(external.seed_parameter or "")
            found.append(
                SeedingCall(
                    call=call,
                    qualname=core.qualname(call.func) or "",
                    rngs=frozenset(external.seeds),
                    seed=seed,
                    is_statement=id(call) in statements,
                )
            )
        return found

    def _seed_through_helper(
        self, call: cst.Call, function: cst.FunctionDef, inner: List[SeedingCall]
    ) -> Optional[cst.BaseExpression]:
        """The seed a helper call passes: the argument bound to the parameter the helper seeds with."""
        bound = self._core.callgraph.bind(call, function)
        for seeding in inner:
            seed = seeding.seed
            if isinstance(seed, cst.Name) and bound is not None and seed.value in bound.arguments:
                return bound.arguments[seed.value]
            if isinstance(seed, cst.Integer):
                return seed
        return None

    @property
    def seeds(self) -> bool:
        """The catalog's "a file that seeds" (a seeding helper of another project module counts). A
        `worker_init_fn` that re-seeds each DataLoader worker from the seed torch already chose
        (`torch.initial_seed()`, the recipe of torch's randomness notes) propagates a seed; on its
        own it does not make the file a seeded run."""
        return any(not c.in_worker_init for c in self.direct) or bool(self.external)

    @cached_property
    def seeded_rngs(self) -> FrozenSet[str]:
        rngs: FrozenSet[str] = frozenset()
        for seeding in (*self.direct, *self.external):
            rngs |= seeding.rngs
        return rngs

    @property
    def first_call(self) -> Optional[SeedingCall]:
        """CKPT404's anchor: the first seeding call in source order, inside a same-file seeding helper
        if that comes first; a call of another module's seeding helper when the file has no
        seeding call of its own."""
        own = [c for c in self.direct if not c.in_worker_init]
        if own:
            return min(own, key=lambda c: self._core.tree.order[c.call])
        return self.calls[0] if self.calls else None

    def torch_manual_seeds(self) -> List[SeedingCall]:
        return [c for c in self.direct if c.qualname in catalog.TORCH_MANUAL_SEED]

    def seed_at(self, at: cst.CSTNode) -> Optional[cst.BaseExpression]:
        """A seed value the file already uses that means the same at ``at`` (for a fix to reuse)."""
        for seeding in self.calls:
            if seeding.seed is not None and reusable(self._core, seeding.seed, seeding.call, at):
                return seeding.seed
        return None

    # -- global RNG use ------------------------------------------------------
    @cached_property
    def global_draws(self) -> Dict[str, List["CallSite"]]:
        """Calls of the module-level functions of `random` / `numpy.random` (not generators)."""
        draws: Dict[str, List["CallSite"]] = {}
        for site in self._core.calls_under("random", "numpy.random"):
            rng, _, function = site.qualname.rpartition(".")
            if rng == "random" and function in catalog.RANDOM_GLOBAL_FUNCTIONS:
                draws.setdefault("random", []).append(site)
            elif rng == "numpy.random" and function not in catalog.NUMPY_RANDOM_NOT_GLOBAL:
                draws.setdefault("numpy", []).append(site)
        return draws

    def unseeded_global_rngs(self) -> FrozenSet[str]:
        """`random` / `numpy` when the file draws from its global RNG and never seeds it."""
        return frozenset(rng for rng in self.global_draws if rng not in self.seeded_rngs)

    # -- cuDNN and deterministic algorithms --------------------------------------
    @cached_property
    def flag_assignments(self) -> List[FlagAssignment]:
        found = []
        for statement, target in self._flag_targets():
            name = self._core.qualname(target)
            if name in (catalog.CUDNN_BENCHMARK, catalog.CUDNN_DETERMINISTIC):
                found.append(FlagAssignment(statement, name, statement.value))
        return found

    def _flag_targets(self) -> List[Tuple[cst.Assign, cst.Attribute]]:
        """Assignments to an attribute named like a cuDNN flag (resolved by name afterwards)."""
        return [
            (node, target.target)
            for node in self._core.tree.nodes(cst.Assign)
            for target in node.targets
            if isinstance(target.target, cst.Attribute) and target.target.attr.value in _CUDNN_FLAGS
        ]

    def benchmark_enabled(self) -> List[FlagAssignment]:
        """`cudnn.benchmark = True` (literally), wherever it is, under a condition too, unless the
        other branch of its `if` requests determinism."""
        return [
            a
            for a in self.flag_assignments
            if a.flag == catalog.CUDNN_BENCHMARK and a.literal_true and not self.chosen_against_determinism(a)
        ]

    @cached_property
    def requests_determinism(self) -> bool:
        """`cudnn.deterministic = True`, `use_deterministic_algorithms(True)` or
        `seed_everything(..., deterministic=True)`, anywhere. A value the model cannot
        read (`= args.deterministic`) counts as a request: when unsure, stay silent."""
        return bool(self._determinism_requests)

    def requests_determinism_in(self, function: cst.FunctionDef) -> bool:
        """``function`` requests determinism itself (for the summary other modules read). Of other
        modules' functions, only those called inside ``function`` are asked: a summary asking
        about one function does not summarise what the rest of its module calls."""
        if "_determinism_requests" in self.__dict__:  # computed for the whole module: the same answer
            requests = self._determinism_requests
        else:
            requests = self._requests(self._core.tree.nodes_within(function, cst.Call))
        return any(self._core.tree.contains(function, request) for request in requests)

    @cached_property
    def _determinism_requests(self) -> List[cst.CSTNode]:
        """The statements and calls that request determinism (see `requests_determinism`), and calls
        of other project modules' functions that do (`init_seeds(seed, deterministic=True)`)."""
        return self._requests(self._core.tree.nodes(cst.Call))

    def _requests(self, calls: List[cst.Call]) -> List[cst.CSTNode]:
        """`_determinism_requests`, of other modules' functions asking only those that ``calls`` run."""
        found: List[cst.CSTNode] = [
            a.statement for a in self.flag_assignments if a.flag == catalog.CUDNN_DETERMINISTIC and not a.literal_false
        ]
        for site in self._core.calls_to(*catalog.DETERMINISTIC_ALGORITHMS):
            arg = site.node.args[0] if site.node.args else None
            if arg is not None and not _is_false(arg.value):
                found.append(site.node)
        for site in self._core.calls_to(*catalog.RUNTIME_SEED_EVERYTHING):
            positional = [a for a in site.node.args if a.keyword is None and not a.star]
            if any(
                arg.star == "**" or (arg.keyword is not None and arg.keyword.value == "deterministic" and not _is_false(arg.value))
                for arg in site.node.args
            ) or len(positional) >= 2 and not _is_false(positional[1].value):
                found.append(site.node)
        for call in calls:
            external = self._core.external_function_involving(call, DETERMINISM_WORDS)
            if external is not None and external.requests_determinism:
                found.append(call)
        return found

    def chosen_against_determinism(self, assignment: FlagAssignment) -> bool:
        """`cudnn.benchmark = True` in one branch of an `if` whose other branch requests
        determinism: the user chose between the two (catalog, CKPT403)."""
        tree = self._core.tree
        branch_if = tree.enclosing(assignment.statement, (cst.If,), stop=(cst.FunctionDef, cst.Lambda))
        if not isinstance(branch_if, cst.If):
            return False
        in_body = tree.contains(branch_if.body, assignment.statement)
        other = branch_if.orelse if in_body else branch_if.body
        return other is not None and any(tree.contains(other, request) for request in self._determinism_requests)


def seed_argument(call: cst.Call) -> Optional[cst.BaseExpression]:
    """The seed passed to a seeding call: the first positional argument or `seed=` / `a=`."""
    for arg in call.args:
        if arg.star:
            return None
        if arg.keyword is None:
            return arg.value
        if arg.keyword.value in catalog.SEED_KEYWORDS:
            return arg.value
    return None


# The last names a seeding call is spelled with (or its import is): `torch.manual_seed`, `set_seed`.
SEEDING_WORDS: FrozenSet[str] = last_names(catalog.SEEDING_CALLS)
# ... and a request for determinism: `cudnn.deterministic = True`, `use_deterministic_algorithms`,
# the runtime's `seed_everything(..., deterministic=True)`.
DETERMINISM_WORDS: FrozenSet[str] = last_names(
    (catalog.CUDNN_DETERMINISTIC, *catalog.DETERMINISTIC_ALGORITHMS, *catalog.RUNTIME_SEED_EVERYTHING)
)
_CUDNN_FLAGS = frozenset({"benchmark", "deterministic"})
_UNSAFE_TO_REPEAT = (cst.Call, cst.Await, cst.Lambda, cst.Yield, cst.NamedExpr, cst.ListComp, cst.GeneratorExp)


def reusable(core: ModuleCore, expr: cst.BaseExpression, origin: cst.CSTNode, at: cst.CSTNode) -> bool:
    """Whether ``expr`` (written at ``origin``) can be written at ``at`` with the same value:
    no calls, and every variable it reads is bound to the same assignment at both places."""
    tree = core.tree
    if tree.nodes_within(expr, *_UNSAFE_TO_REPEAT):
        return False
    for name in tree.nodes_within(expr, cst.Name):
        parent = tree.parent(name)
        if isinstance(parent, cst.Attribute) and parent.attr is name or name.value in ("True", "False", "None"):
            continue
        here, there = core.bindings.reaching(name.value, origin), core.bindings.reaching(name.value, at)
        if here is None or there is None or here.node is not there.node:
            return False
    return True


def _is_false(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value in ("False", "None")
