"""A cheap, sufficient test of whether a file can matter to the selected rules.

Every rule declares `requires`: groups of words, each group needing at least
one of its words in the source text (a conjunction of alternatives). Names
are resolved through imports, so a rule about `torch.load` cannot fire on a
file whose text lacks "torch" (no import can bring it in) or "load" (nothing
can name the function). A file that no selected rule can fire on is not
parsed at all: that is where most of a library codebase's time goes. Names
from the project's `save-functions` / `load-functions` settings widen every
group, since they may stand in for torch's own functions.

Consequence, by design: a file that cannot matter is not parsed, so its
syntax errors are not reported either (ckptlint is not a syntax checker).
"""

from __future__ import annotations

import os
from typing import Any, Sequence, Tuple

from ckptlint.config.settings import ProjectSettings

# A rule class or its `RuleInfo`: both carry `requires`.
Rule = Any


def _project_words(project: ProjectSettings) -> Tuple[str, ...]:
    names = project.save_functions + project.load_functions
    return tuple(name.rsplit(".", 1)[-1] for name in names if name)


def rule_can_fire(text: str, rule: Rule, extra: Tuple[str, ...] = ()) -> bool:
    return all(any(word in text for word in group + extra) for group in rule.requires)


def needs_analysis(text: str, rules: Sequence[Rule], project: ProjectSettings) -> bool:
    extra = _project_words(project)
    return any(rule_can_fire(text, rule, extra) for rule in rules)


def prefilter_disabled() -> bool:
    """`CKPTLINT_NO_PREFILTER=1` analyses every file (to prove the filter changes nothing)."""
    return os.environ.get("CKPTLINT_NO_PREFILTER") == "1"
