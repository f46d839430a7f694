"""Where the code libcst renders is in the file's text.

libcst's positions are positions in the code it renders (`module.code`), and
that is the file's text except where libcst does not keep what it read: a
form feed or a backslash continuation in the indentation of a statement line
(libcst stores a block's indentation once, so the line is rendered with the
block's indentation), blank lines after the last statement of a file that
ends in whitespace, the last newline of a `\\r`-only file. A position taken
from libcst and used as an offset into the text is then off by the characters
libcst dropped before it on that line (or on earlier lines), and an edit made
by diffing two renderings rewrites every line between the two differences.

Spans of findings are therefore mapped to the text here (`spans.py`), and fix
builders work on token positions in the rendered code (which libcst reports
exactly) and map each edit back to the text here: an edit never lands a
character off, and never covers a character it does not change. The two texts differ only in runs of whitespace and backslashes
between tokens, so they are aligned by skipping equal stretches and matching
those runs (difflib, on a few characters at a time).
"""

from __future__ import annotations

import bisect
import dataclasses
import difflib
from typing import List, Protocol, Tuple, TypeVar

from ckptlint.semantic.core.positions import LineIndex


class _Edit(Protocol):
    start: int
    end: int


E = TypeVar("E", bound=_Edit)  # an edit of the rendered code: a dataclass with its two offsets

# What libcst may drop or rewrite: indentation, line breaks and continuations.
_LAYOUT = frozenset(" \t\f\v\\\r\n")
_CHUNK = 4096

class SourceMap:
    """Offsets in the rendered code (``rendered``) to offsets in the file's text.

    ``_runs`` holds the stretches the two have in common, as
    ``(rendered_start, text_start, length)`` sorted by position; a character
    of the rendered code outside every run has no counterpart in the text.
    """

    def __init__(self, text: str, rendered: str) -> None:
        self.text = text
        self.rendered = rendered
        self.lines = LineIndex(rendered)
        self.exact = text == rendered
        self._runs: List[Tuple[int, int, int]] = [] if self.exact else _align(text, rendered)
        self._starts = [run[0] for run in self._runs]

    # -- positions in the rendered code -------------------------------------
    def offset(self, line: int, column: int) -> int:
        """The rendered offset of libcst's 1-based ``line`` and 0-based ``column``."""
        return self.lines.offset(line, column)

    # -- to the text ---------------------------------------------------------
    def before(self, offset: int) -> int:
        """The text offset of the rendered character at ``offset`` (a token's start);
        for a character the text does not have, the next one it has."""
        if self.exact:
            return offset
        index = bisect.bisect_right(self._starts, offset) - 1
        if index >= 0:
            start, text_start, length = self._runs[index]
            if offset < start + length:
                return text_start + offset - start
        if index + 1 < len(self._runs):
            return self._runs[index + 1][1]
        return len(self.text)

    def after(self, offset: int) -> int:
        """The text offset just after the rendered character before ``offset`` (a
        token's end, or an insertion point that belongs to what precedes it)."""
        if self.exact or offset == 0:
            return offset
        index = bisect.bisect_right(self._starts, offset - 1) - 1
        if index < 0:
            return 0
        start, text_start, length = self._runs[index]
        return text_start + min(offset - start, length)

    def to_text(self, edit: E) -> E:
        """``edit`` of the rendered code as an edit of the text.

        An insertion goes right after what precedes it in the rendered code (so a
        line inserted at the start of a line goes before that line's form feed or
        continuation); a replacement keeps the characters only the text has at its
        two ends.
        """
        if self.exact:
            return edit
        if edit.start == edit.end:
            point = self.after(edit.start)
            return _same_kind(edit, point, point)
        start, end = self.before(edit.start), self.after(edit.end)
        if end < start:  # only characters the text does not have: insert there
            end = start = self.after(edit.start)
        return _same_kind(edit, start, end)


def _same_kind(edit: E, start: int, end: int) -> E:
    return dataclasses.replace(edit, start=start, end=end)


def _align(text: str, rendered: str) -> List[Tuple[int, int, int]]:
    runs: List[Tuple[int, int, int]] = []
    i = j = 0
    while i < len(text) and j < len(rendered):
        same = _common_prefix(text, i, rendered, j)
        if same:
            runs.append((j, i, same))
            i, j = i + same, j + same
            if i == len(text) or j == len(rendered):
                break
        # A difference: back up to the start of the layout run both are in, then
        # match the two runs (both are short: one line's indentation or so).
        back = 0
        while back < same and text[i - back - 1] in _LAYOUT:
            back += 1
        if back:
            _trim_last(runs, back)
            i, j = i - back, j - back
        text_end, rendered_end = _layout_end(text, i), _layout_end(rendered, j)
        if text_end == i and rendered_end == j:
            break  # not a layout difference: leave the rest unmapped (never expected)
        matcher = difflib.SequenceMatcher(None, text[i:text_end], rendered[j:rendered_end], autojunk=False)
        for a, b, size in matcher.get_matching_blocks():
            if size:
                runs.append((j + b, i + a, size))
        i, j = text_end, rendered_end
    return runs


def _trim_last(runs: List[Tuple[int, int, int]], count: int) -> None:
    while count and runs:
        start, text_start, length = runs.pop()
        if length > count:
            runs.append((start, text_start, length - count))
            return
        count -= length


def _layout_end(text: str, index: int) -> int:
    while index < len(text) and text[index] in _LAYOUT:
        index += 1
    return index


def _common_prefix(a: str, i: int, b: str, j: int) -> int:
    """How many characters ``a[i:]`` and ``b[j:]`` have in common at their start
    (compared a chunk at a time: files are long and differences rare)."""
    same = 0
    size = min(len(a) - i, len(b) - j)
    while same < size:
        step = min(_CHUNK, size - same)
        if a[i + same : i + same + step] == b[j + same : j + same + step]:
            same += step
            continue
        low, high = 0, step  # the first difference is in this chunk
        while low < high:
            middle = (low + high) // 2
            if a[i + same : i + same + middle + 1] == b[j + same : j + same + middle + 1]:
                low = middle + 1
            else:
                high = middle
        return same + low
    return same
