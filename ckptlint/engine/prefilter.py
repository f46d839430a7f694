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

Names from the project's `save-functions` / `load-functions` settings widen
every group, since they may stand in for torch's own functions.

Consequence, by design: a file that cannot matter is not parsed, so its
syntax errors are not reported either (ckptlint is not a syntax checker).
"""

from __future__ import annotations

import functools
import os
import re
from typing import Any, Dict, List, Optional, Pattern, Sequence, Tuple

from ckptlint.config.settings import ProjectSettings

# A rule class or its `RuleInfo`: both carry `requires`.
Rule = Any


_IGNORE_CASE = "(?i)"


@functools.lru_cache(maxsize=None)
def _pattern(word: str) -> Tuple[bool, str, Pattern[str], bool]:
    """Whether `word` ignores case, its literal core (for a fast substring reject), its regex
    (the core and its end), and whether the character before it must not continue an identifier.
    The start is checked apart: a regex that begins with a lookbehind cannot jump to the core's
    occurrences, and tries every position of the file (15x slower on a training script)."""
    ignore_case = word.startswith(_IGNORE_CASE)
    word = word[len(_IGNORE_CASE):] if ignore_case else word
    core = word.strip("*")
    after = "" if word.endswith("*") else r"(?!\w)"
    pattern = re.compile(re.escape(core) + after, re.IGNORECASE if ignore_case else 0)
    return ignore_case, core.lower() if ignore_case else core, pattern, not word.startswith("*")


_WORD_CHARACTER = re.compile(r"\w")


class SourceWords:
    """Answers "does this word occur in the text?" once per word per file."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._lowered: Optional[str] = None
        self._seen: Dict[str, bool] = {}

    def __contains__(self, word: str) -> bool:
        found = self._seen.get(word)
        if found is None:
            ignore_case, core, pattern, whole_start = _pattern(word)
            # `in` rejects most files at C speed; the regex only confirms the boundaries.
            found = core in self._haystack(ignore_case) and self._occurs(pattern, whole_start)
            self._seen[word] = found
        return found

    def _occurs(self, pattern: Pattern[str], whole_start: bool) -> bool:
        """An occurrence of ``pattern`` that, with ``whole_start``, no identifier character precedes
        (every occurrence is tried, overlapping ones too: as a lookbehind would)."""
        text, position = self._text, 0
        while True:
            match = pattern.search(text, position)
            if match is None:
                return False
            start = match.start()
            if not whole_start or start == 0 or _WORD_CHARACTER.match(text, start - 1) is None:
                return True
            position = start + 1

    def _haystack(self, ignore_case: bool) -> str:
        if not ignore_case:
            return self._text
        if self._lowered is None:
            self._lowered = self._text.lower()
        return self._lowered


def _project_words(project: ProjectSettings) -> Tuple[str, ...]:
    names = project.save_functions + project.load_functions
    return tuple(name.rsplit(".", 1)[-1] for name in names if name)


def rule_can_fire(words: SourceWords, rule: Rule, extra: Tuple[str, ...] = ()) -> bool:
    return all(any(word in words for word in group + extra) for group in rule.requires)


def needs_analysis(text: str, rules: Sequence[Rule], project: ProjectSettings) -> bool:
    words = SourceWords(text)
    extra = _project_words(project)
    return any(rule_can_fire(words, rule, extra) for rule in rules)


def rules_that_can_fire(text: str, rules: Sequence[Rule], project: ProjectSettings) -> List[Rule]:
    """The subset of ``rules`` worth running on ``text`` (all of them with the filter off).

    The others cannot report anything here, so skipping them changes no finding, and
    the semantic model then computes only what the rules that do run read.
    """
    if prefilter_disabled():
        return list(rules)
    words = SourceWords(text)
    extra = _project_words(project)
    return [rule for rule in rules if rule_can_fire(words, rule, extra)]


def prefilter_disabled() -> bool:
    """`CKPTLINT_NO_PREFILTER=1` analyses every file (to prove the filter changes nothing)."""
    return os.environ.get("CKPTLINT_NO_PREFILTER") == "1"
