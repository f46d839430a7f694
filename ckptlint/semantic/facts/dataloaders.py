"""DataLoader calls: does the loader shuffle, start workers, own a generator?

The catalog's reading (CKPT401): a missing `num_workers` means 0; "shuffles"
means `shuffle=True` (the literal, or a name whose reaching assignment is the
literal `True`) or a `RandomSampler` sampler without a generator of its own; a
non-literal `shuffle=args.x` is not shuffling. A `**kwargs` that may supply
`generator=` makes the loader unknown (`opaque`), and rules stay silent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

import libcst as cst

from ckptlint.semantic.data import catalog

from ckptlint.semantic.core.calls import CallSite
from ckptlint.semantic.core.module import ModuleCore


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
    def __init__(self, core: ModuleCore) -> None:
        self._core = core
        self.calls: List[LoaderCall] = [self._read(site) for site in core.calls_to(*catalog.DATALOADER_CLASSES)]

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
