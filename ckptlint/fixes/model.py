"""The edit model shared by fixes, diffs, JSON/SARIF output and the LSP.

Offsets are code-point offsets into the decoded source text (not bytes):
files may be in any PEP 263 encoding, and code points are what the text
reporters, SARIF (``unicodeCodePoints``) and the LSP conversion start from.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from typing import Iterable, List, Tuple


class Applicability(enum.Enum):
    """How far a fix can be trusted, as in ruff."""

    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY_ONLY = "display-only"

    def allowed(self, unsafe_fixes: bool) -> bool:
        if self is Applicability.SAFE:
            return True
        return self is Applicability.UNSAFE and unsafe_fixes


@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` with ``content`` (offsets in code points)."""

    start: int
    end: int
    content: str

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"bad edit range {self.start}..{self.end}")


@dataclass(frozen=True)
class ImportEdit(Edit):
    """An edit that adds `import <module>` (so the engine can tell what a fix imports).

    ``earlier`` holds the other places the import may go, earliest first, as
    ``(offset, content)``: the `Fix` moves the import to the last of them before
    its first other edit when that edit comes before the import (code of the
    module's header that a fix rewrites needs its import above it).
    """

    module: str = ""
    earlier: Tuple[Tuple[int, str], ...] = ()

    def before(self, offset: int) -> "ImportEdit":
        """This import placed at the last of its places that is not after ``offset``."""
        if self.start <= offset or not self.earlier:
            return self
        fitting = [place for place in self.earlier if place[0] <= offset] or [self.earlier[0]]
        point, content = fitting[-1]
        return dataclasses.replace(self, start=point, end=point, content=content, earlier=())


RUNTIME_MODULE = "ckptlint.runtime"


@dataclass(frozen=True)
class Fix:
    """A set of edits that must be applied together (an import it adds goes before
    the first of its other edits)."""

    edits: Tuple[Edit, ...]
    applicability: Applicability
    title: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "edits", _imports_before_their_use(tuple(self.edits)))

    @property
    def start(self) -> int:
        return min(edit.start for edit in self.edits)

    @property
    def end(self) -> int:
        return max(edit.end for edit in self.edits)

    @property
    def adds_runtime_import(self) -> bool:
        """Whether the fix adds the file's first `ckptlint.runtime` import.

        The engine (not the rule) downgrades such a fix to unsafe unless the
        project declares the runtime available: it adds a dependency to the job.
        """
        return any(
            isinstance(edit, ImportEdit)
            and (edit.module == RUNTIME_MODULE or edit.module.startswith(RUNTIME_MODULE + "."))
            for edit in self.edits
        )

    def with_applicability(self, applicability: Applicability) -> "Fix":
        return Fix(self.edits, applicability, self.title)


def _imports_before_their_use(edits: Tuple[Edit, ...]) -> Tuple[Edit, ...]:
    uses = [edit.start for edit in edits if not isinstance(edit, ImportEdit)]
    if not uses:
        return edits
    first_use = min(uses)
    return tuple(edit.before(first_use) if isinstance(edit, ImportEdit) else edit for edit in edits)


def in_application_order(edits: Iterable[Edit]) -> List[Edit]:
    """``edits`` without repeats, by position; insertions at one point in the order
    given, imports first (an import must precede the line that uses it)."""
    unique = list(dict.fromkeys(edits))
    return sorted(unique, key=lambda e: (e.start, e.end, not isinstance(e, ImportEdit)))


def overlapping(edits: Iterable[Edit]) -> bool:
    """Whether two of ``edits`` (repeats aside) change the same characters."""
    cursor = -1
    for edit in in_application_order(edits):
        if edit.start < cursor:
            return True
        cursor = max(cursor, edit.end)
    return False


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply non-overlapping edits to ``text``; identical edits count once."""
    ordered = in_application_order(edits)
    parts = []
    cursor = 0
    for edit in ordered:
        if edit.start < cursor:
            raise ValueError("overlapping edits")
        parts.append(text[cursor:edit.start])
        parts.append(edit.content)
        cursor = edit.end
    parts.append(text[cursor:])
    return "".join(parts)


def minimal_edit(old: str, new: str, offset: int) -> Edit:
    """The smallest single edit that turns ``old`` (found at ``offset``) into ``new``.

    Builders render whole nodes with libcst for fidelity; trimming the common
    prefix and suffix keeps the diff to the characters that really change, so
    that independent fixes on one call rarely overlap.
    """
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while (
        suffix < limit - prefix
        and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]
    ):
        suffix += 1
    return Edit(offset + prefix, offset + len(old) - suffix, new[prefix : len(new) - suffix])
