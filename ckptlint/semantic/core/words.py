"""Whether an identifier word occurs in a text: the pre-filter's test, read off the text alone.

A word is a whole identifier: `save` matches `torch.save(` and `from torch
import save as s`, not `save_pretrained` or `saved`. A `*` at either end lets
the identifier continue on that side (`*epoch*` matches `start_epoch`); a
leading `(?i)` ignores case. Matching anywhere in the text (strings and
comments too) only over-approximates.
"""

from __future__ import annotations

import functools
import re
from typing import AbstractSet, Callable, Dict, FrozenSet, Iterable, Optional, Pattern, Protocol, Tuple


class Words(Protocol):
    """Anything that answers ``word in words`` (a text's words, or a text's and what it reaches)."""

    def __contains__(self, word: object) -> bool: ...


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


def last_names(qualnames: Iterable[str]) -> FrozenSet[str]:
    """The last names of ``qualnames`` (`save` of `torch.save`): what a call of one is spelled with,
    or the import of it is."""
    return frozenset(name.rsplit(".", 1)[-1] for name in qualnames)


@functools.lru_cache(maxsize=None)
def identifier_test(words: FrozenSet[str]) -> Callable[[AbstractSet[str]], bool]:
    """Whether a set of identifiers holds one of ``words`` (pre-filter words: `*` and `(?i)` as
    above, each matched against a whole identifier)."""
    plain = frozenset(word for word in words if "*" not in word and not word.startswith(_IGNORE_CASE))
    wild = sorted(words - plain)
    regexes = []
    for word in wild:
        ignore_case = word.startswith(_IGNORE_CASE)
        word = word[len(_IGNORE_CASE):] if ignore_case else word
        core = re.escape(word.strip("*"))
        regexes.append(("(?i:" if ignore_case else "(?:") + (".*" if word.startswith("*") else "") + core + (".*" if word.endswith("*") else "") + ")")
    pattern = re.compile("|".join(regexes)) if regexes else None

    def test(idents: AbstractSet[str]) -> bool:
        if not plain.isdisjoint(idents):
            return True
        return pattern is not None and any(pattern.fullmatch(ident) for ident in idents)

    return test
