"""What the engine needs to know about a rule without importing it.

Selection, per-file ignores, the pre-filter, the cache and the summary only
need a rule's code, name, default state, trigger words and fix class. Reading those from the
generated table in `rules/metadata.py` (written by `python -m ckptlint.docs`
from the rule classes; a test fails on drift) keeps a run over files that
cannot matter, or whose results are cached, from importing libcst at all.
This module defines the row; `rules/table.py` looks rows up (imports flow
one way: info <- metadata <- table).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Tuple, Type

if TYPE_CHECKING:
    from ckptlint.rules.base import Rule


@dataclass(frozen=True)
class RuleInfo:
    code: str
    name: str
    opt_in: bool
    requires: Tuple[Tuple[str, ...], ...]
    target: str  # "package.module:ClassName"
    fix_class: str = "none"  # the catalog's fix class: "safe", "unsafe", "safe or unsafe", "none"
    # Run only so that CKPT001 knows which suppressions of this code are used;
    # its findings are not reported (tests that lint with an explicit rule list).
    usage_only: bool = field(default=False, repr=False, compare=False)

    def load(self) -> "Type[Rule]":
        module, _, cls = self.target.partition(":")
        return getattr(importlib.import_module(module), cls)

    @classmethod
    def of(cls, rule: "Type[Rule]") -> "RuleInfo":
        target = f"{rule.__module__}:{rule.__qualname__}"
        return cls(rule.code, rule.name, rule.opt_in, tuple(rule.requires), target, rule.fix_class)
