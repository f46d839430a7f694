"""DataLoader calls: does the loader shuffle, start workers, own a generator?

The catalog's reading (CKPT401): a missing `num_workers` means 0; "shuffles"
means `shuffle=True` (the literal, or a name whose reaching assignment is the
literal `True`) or a `RandomSampler` sampler without a generator of its own; a
non-literal `shuffle=args.x` is not shuffling. A `**kwargs` that may supply
`generator=` makes the loader unknown (`opaque`), and rules stay silent.

`trained_on(loader)` (revision 2): a training loop iterates the loader, a
`for` whose iterable holds it (`for x, y in loader`, `enumerate(tqdm(loader))`)
and whose body runs `backward()` or an optimizer step, directly or through a
project function (`Loops.is_training_loop`). The loader is followed through
names, returns (a returned tuple too), `self.x` attributes across the methods
of the class, the parameters of same-file functions it is passed to
(`core/flows.py`), and the iterators that wrap it (`batches = tqdm(loader)`,
`enumerate`, `iter`, `zip`...). A loader handed to a function of another
module is not followed (its summary does not say what it iterates): unknown,
so no.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional

import libcst as cst

from ckptlint.semantic.data import catalog

from ckptlint.semantic.core.calls import CallSite
from ckptlint.semantic.core.module import ModuleCore
from ckptlint.semantic.facts.loops import Loop, Loops


# Calls whose result iterates over their argument's items: iterating one iterates the loader.
ITERATOR_WRAPPERS = frozenset(
    {
        "builtins.enumerate",
        "builtins.iter",
        "builtins.zip",
        "itertools.islice",
        "itertools.cycle",
        "itertools.chain",
        "tqdm.tqdm",
        "tqdm.auto.tqdm",
        "tqdm.notebook.tqdm",
        "tqdm.std.tqdm",
        "tqdm.rich.tqdm",
        "rich.progress.track",
    }
)


@dataclass(frozen=True, eq=False)
class LoaderCall:
    site: CallSite
    shuffles: bool
    num_workers: Optional[cst.BaseExpression]  # None when not given (0 workers)
    has_generator: bool
    has_worker_init_fn: bool
    opaque: bool  # `*args` / `**kwargs` may supply what the model cannot see

    @property
    def call(self) -> cst.Call:
        return self.site.node

    @property
    def workers_literally_zero(self) -> bool:
        return self.num_workers is None or (isinstance(self.num_workers, cst.Integer) and self.num_workers.evaluated_value == 0)


class DataLoaders:
    def __init__(self, core: ModuleCore, loops: Loops) -> None:
        self._core = core
        self._loops = loops
        self.calls: List[LoaderCall] = [self._read(site) for site in core.calls_to(*catalog.DATALOADER_CLASSES)]

    # -- which loops iterate a loader --------------------------------------------
    def trained_on(self, loader: LoaderCall) -> bool:
        """A training loop iterates ``loader`` (see the module docstring)."""
        for use in self._uses(loader.call):
            loop = self._iterating(use)
            if loop is not None and self._loops.is_training_loop(loop):
                return True
        return False

    def _uses(self, call: cst.Call) -> Iterator[cst.BaseExpression]:
        """Where the loader's value is used: followed from the call, from every target that holds
        it, and from every iterator that wraps it (`tqdm(loader)`)."""
        core = self._core
        flows = core.flows
        found: Dict[int, cst.BaseExpression] = {}
        values: List[cst.BaseExpression] = [call]
        while values:
            value = values.pop()
            starts: List[cst.BaseExpression] = [value]
            for holder in flows.holders(value):
                if isinstance(holder, cst.Name):
                    starts.extend(core.reads_of_target(holder))
                else:
                    starts.extend(self._attribute_reads(holder))
            for start in starts:
                for use in flows.terminal_uses(start):
                    if id(use) in found:
                        continue
                    found[id(use)] = use
                    wrapper = self._wrapping(use)
                    if wrapper is not None:
                        values.append(wrapper)
        return iter(found.values())

    def _wrapping(self, use: cst.BaseExpression) -> Optional[cst.Call]:
        """The iterator call that ``use`` is an argument of (`tqdm(loader, desc=...)`)."""
        arg = self._core.parent(use)
        call = self._core.parent(arg) if isinstance(arg, cst.Arg) and arg.keyword is None and not arg.star else None
        return call if isinstance(call, cst.Call) and self._core.qualname(call.func) in ITERATOR_WRAPPERS else None

    def _attribute_reads(self, target: cst.BaseExpression) -> List[cst.Attribute]:
        """The reads of `self.x` in the methods of the class that assigns it (``target``)."""
        core = self._core
        function = core.tree.enclosing_function(target)
        class_def = core.tree.class_of(function) if function is not None else None
        if not isinstance(target, cst.Attribute) or class_def is None or core.callgraph.self_name(function) is None:
            return []
        reads = []
        for attribute in core.tree.nodes_within(class_def, cst.Attribute):
            if attribute.attr.value != target.attr.value or attribute is target or not isinstance(attribute.value, cst.Name):
                continue
            method = core.tree.enclosing_function(attribute)
            if method is not None and core.callgraph.self_name(method) == attribute.value.value:
                reads.append(attribute)
        return reads

    def _iterating(self, use: cst.BaseExpression) -> Optional[Loop]:
        """The `for` loop whose iterable holds ``use`` (`for b in loader`, `enumerate(loader)`)."""
        tree = self._core.tree
        for ancestor in tree.ancestors(use):
            if isinstance(ancestor, cst.For):
                return self._loops.of(ancestor) if tree.contains(ancestor.iter, use) else None
            if isinstance(ancestor, (cst.BaseSmallStatement, cst.BaseCompoundStatement, cst.Lambda)):
                return None
        return None

    def _read(self, site: CallSite) -> LoaderCall:
        bound = site.arguments
        num_workers = bound.by_name.get("num_workers")
        return LoaderCall(
            site=site,
            shuffles=self._shuffles(site),
            num_workers=num_workers.value if num_workers is not None else None,
            has_generator="generator" in bound.by_name,
            has_worker_init_fn="worker_init_fn" in bound.by_name,
            opaque=bound.has_star_kwargs or bound.star_args_from is not None,
        )

    def _shuffles(self, site: CallSite) -> bool:
        shuffle = site.arg("shuffle")
        if shuffle is not None and self._is_true(shuffle.value, site.node):
            return True
        sampler = site.arg("sampler")
        return sampler is not None and self._is_random_sampler(sampler.value, site.node)

    def _value(self, expr: cst.BaseExpression, at: cst.CSTNode) -> Optional[cst.BaseExpression]:
        """The expression itself, or the value of the one assignment of a name that reaches ``at``."""
        if isinstance(expr, cst.Name) and expr.value not in ("True", "False", "None"):
            binding = self._core.bindings.reaching(expr.value, at)
            return binding.value if binding is not None else None
        return expr

    def _is_true(self, expr: cst.BaseExpression, at: cst.CSTNode) -> bool:
        value = self._value(expr, at)
        return isinstance(value, cst.Name) and value.value == "True"

    def _is_random_sampler(self, expr: cst.BaseExpression, at: cst.CSTNode) -> bool:
        value = self._value(expr, at)
        if not isinstance(value, cst.Call) or self._core.qualname(value.func) not in catalog.RANDOM_SAMPLERS:
            return False
        # A sampler with its own generator draws its order from it, not from the global RNG.
        keywords = {a.keyword.value for a in value.args if a.keyword is not None}
        positional = [a for a in value.args if a.keyword is None]
        return "generator" not in keywords and len(positional) < 4 and not any(a.star for a in value.args)
