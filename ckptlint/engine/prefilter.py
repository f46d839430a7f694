"""A cheap, sufficient test of whether a file can matter to the selected rules.

Every rule declares `requires`: groups of words, each group needing at least
one of its words in the source text (a conjunction of alternatives). Names
are resolved through imports, so a rule about `torch.load` cannot fire on a
file in which the identifier `torch` never occurs (no import can bring it in)
or the identifier `load` never occurs (nothing can name the function). A file
that no selected rule can fire on is not parsed at all: that is where most of
a library codebase's time goes.

A word is a whole identifier: `save` matches `torch.save(` and `from torch
import save as s`, not `save_pretrained` or `saved`. That is what makes the
test selective on library code, where `load` and `save` are substrings of
half the file. A `*` at either end lets the identifier continue on that side
(`*epoch*` matches `start_epoch`, `Distributed*` matches
`DistributedSampler`), for rules that look at a family of names rather than
one resolved name; a leading `(?i)` ignores case (`(?i)*epoch*` for keys such
as `"Epoch"`). Matching anywhere in the text (strings and comments too)
only over-approximates, which keeps the test sufficient.

A fact about a name imported from another module of the project (a save
helper in `utils.py`, a model class in `models.py`) comes from that name's
code and the code it reaches in turn: with a project view, those words count
too (`semantic/program/reach.py`), not the words of every module on the way.

Names from the project's `save-functions` / `load-functions` settings widen
every group, since they may stand in for torch's own functions.

Consequence, by design: a file that cannot matter is not parsed, so its
syntax errors are not reported either (ckptlint is not a syntax checker).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, List, Optional, Sequence, Tuple, Union

from ckptlint.config.settings import ProjectSettings
from ckptlint.rules.words import LOCAL_ONLY
from ckptlint.semantic.core.words import SourceWords, Words

if TYPE_CHECKING:
    from ckptlint.semantic.program.view import FileView

# A rule class or its `RuleInfo`: both carry `requires`.
Rule = Any


def _project_words(project: ProjectSettings) -> Tuple[str, ...]:
    names = project.save_functions + project.load_functions
    return tuple(name.rsplit(".", 1)[-1] for name in names if name)


def rule_can_fire(words: Words, rule: Rule, extra: Tuple[str, ...] = ()) -> bool:
    return all(any(word in words for word in group + extra) for group in rule.requires)


def file_words(text: str, view: "Optional[FileView]") -> Union[str, Words]:
    """What the pre-filter reads for the file ``text``: the text alone, or with a project view the
    words of the code it reaches in other modules too (but never a word of `LOCAL_ONLY`)."""
    return view.words(text, LOCAL_ONLY) if view is not None else text


def _words(source: Union[str, Words]) -> Words:
    return SourceWords(source) if isinstance(source, str) else source


def needs_analysis(source: Union[str, Words], rules: Sequence[Rule], project: ProjectSettings) -> bool:
    """Whether any of ``rules`` can fire on ``source``: a text, or the words a file and the code
    it imports give (`FileView.words`)."""
    words = _words(source)
    extra = _project_words(project)
    return any(rule_can_fire(words, rule, extra) for rule in rules)


def rules_that_can_fire(source: Union[str, Words], rules: Sequence[Rule], project: ProjectSettings) -> List[Rule]:
    """The subset of ``rules`` worth running on ``source`` (as for `needs_analysis`; all of them
    with the filter off).

    The others cannot report anything here, so skipping them changes no finding, and
    the semantic model then computes only what the rules that do run read.
    """
    if prefilter_disabled():
        return list(rules)
    words = _words(source)
    extra = _project_words(project)
    return [rule for rule in rules if rule_can_fire(words, rule, extra)]


def prefilter_disabled() -> bool:
    """`CKPTLINT_NO_PREFILTER=1` analyses every file (to prove the filter changes nothing)."""
    return os.environ.get("CKPTLINT_NO_PREFILTER") == "1"
