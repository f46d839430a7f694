"""Writing `# noqa: CODE` comments: `--add-noqa` and the editor's "Disable" action.

The comment goes on a finding's noqa line (its anchor: the first line of a
multi-line call). An existing `# noqa: ...` list on that line gets the
missing codes appended; a bare `# noqa` already silences the line. Python's
tokenizer tells comments from strings, so a `# noqa` inside a string literal
is text, never a directive to merge into, and a line whose end lies inside a
string (a multi-line string, or an f-string's replacement field spanning
lines) or that continues with a backslash cannot take a comment: it is
refused with the reason, never written into.
"""

from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple, Union

from ckptlint.diagnostics import Diagnostic
from ckptlint.engine.suppressions.directives import NOQA, lex
from ckptlint.fixes.model import Edit, apply_edits
from ckptlint.semantic.core.positions import LineIndex

# Codes never added: a noqa for an unused suppression would itself be unused.
NEVER_ADDED = frozenset({"CKPT001"})

INSIDE_STRING = "the line ends inside a multi-line string"
CONTINUED = "the line continues with a backslash"
UNTOKENIZABLE = "the file cannot be tokenized"

_STRING_STARTS = {getattr(tokenize, name) for name in ("FSTRING_START", "TSTRING_START") if hasattr(tokenize, name)}
_STRING_ENDS = {getattr(tokenize, name) for name in ("FSTRING_END", "TSTRING_END") if hasattr(tokenize, name)}


@dataclass(frozen=True)
class Added:
    """The edit that adds ``codes`` to a line's `# noqa`."""

    edit: Edit
    codes: Tuple[str, ...]


@dataclass(frozen=True)
class Refused:
    """A line that cannot take a comment, and why."""

    line: int
    reason: str


class NoqaWriter:
    """Where one text's lines can take a `# noqa` comment (tokenized once)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.index = LineIndex(text)
        self.comments: Dict[int, Tuple[int, str]] = {}  # line -> (offset, comment text)
        self.refusals: Dict[int, str] = {}
        self._tokenize()

    def _tokenize(self) -> None:
        opened: List[int] = []  # start lines of the f-/t-strings still open
        try:
            for token in tokenize.generate_tokens(io.StringIO(self.text, newline="").readline):
                (row, column), end_row = token.start, token.end[0]
                if token.type == tokenize.COMMENT:
                    self.comments[row] = (self.index.offset(row, column), token.string)
                elif token.type in _STRING_STARTS:
                    opened.append(row)
                elif token.type in _STRING_ENDS and opened:
                    self._inside_string(opened.pop(), end_row)
                elif token.type == tokenize.STRING:
                    self._inside_string(row, end_row)
        except (tokenize.TokenError, SyntaxError):
            self.refusals = {line: UNTOKENIZABLE for line in range(1, len(self.index.starts) + 1)}

    def _inside_string(self, first: int, last: int) -> None:
        for line in range(first, last):
            self.refusals.setdefault(line, INSIDE_STRING)

    def add(self, line: int, codes: Iterable[str]) -> "Union[Added, Refused, None]":
        """How to add ``codes`` to ``line``'s noqa: None when it already
        suppresses them, `Refused` when the line cannot take a comment."""
        wanted = tuple(sorted(set(codes)))
        if line in self.refusals:
            return Refused(line, self.refusals[line])
        start, end = self.index.line_start(line), self.index.next_line_start(line)
        content = self.text[start:end].rstrip("\r\n")
        comment = self.comments.get(line)
        noqa = next((d for d in lex(comment[1], comment[0]) if d.action == NOQA), None) if comment else None
        if noqa is None:
            if comment is None and content.rstrip().endswith("\\"):
                return Refused(line, CONTINUED)
            at = start + len(content.rstrip())  # after the code, or after another comment
            return Added(Edit(at, start + len(content), f"  # noqa: {', '.join(wanted)}"), wanted)
        if noqa.bare:
            return None
        present = {item.text for item in noqa.items}
        missing = tuple(code for code in wanted if code not in present)
        if not missing:
            return None
        return Added(Edit(noqa.end, noqa.end, "".join(f", {code}" for code in missing)), missing)


@dataclass
class NoqaResult:
    text: str
    added: int = 0  # codes written
    skipped: List[Tuple[int, str]] = field(default_factory=list)  # (line, reason)


def add_noqa(text: str, diagnostics: Sequence[Diagnostic]) -> NoqaResult:
    """``text`` with a `# noqa` for every finding in ``diagnostics``."""
    wanted: Dict[int, Set[str]] = {}
    for diagnostic in diagnostics:
        if diagnostic.code not in NEVER_ADDED:
            wanted.setdefault(diagnostic.noqa_line or diagnostic.span.line, set()).add(diagnostic.code)
    result = NoqaResult(text)
    if not wanted:
        return result
    writer = NoqaWriter(text)
    edits: List[Edit] = []
    for line, codes in sorted(wanted.items()):
        step = writer.add(line, codes)
        if isinstance(step, Refused):
            result.skipped.append((step.line, step.reason))
        elif step is not None:
            edits.append(step.edit)
            result.added += len(step.codes)
    result.text = apply_edits(text, edits)
    return result


def noqa_edit(text: str, line: int, code: str) -> Optional[Edit]:
    """The edit that suppresses ``code`` on 1-based ``line`` (None if it cannot or need not)."""
    step = NoqaWriter(text).add(line, [code])
    return step.edit if isinstance(step, Added) else None
