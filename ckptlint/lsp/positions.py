"""Converting ckptlint positions to LSP positions.

ckptlint works in code points: a `Span` has 1-based lines and 1-based
code-point columns (end exclusive), and `Edit` offsets are code-point
offsets into the text. LSP positions are 0-based lines and 0-based
*character* offsets counted in the negotiated position encoding: UTF-16
code units unless the client offered `general.positionEncodings` and the
server picked `utf-8` (bytes) or `utf-32` (code points). A character outside
the Basic Multilingual Plane (an emoji, say) is one code point, two UTF-16
units and four UTF-8 bytes, so every column before it shifts differently.

Lines are split as Python's tokenizer and LSP both split them (`\\n`,
`\\r\\n`, `\\r`), via `LineIndex`.
"""

from __future__ import annotations

from lsprotocol import types

from ckptlint.diagnostics import Span
from ckptlint.semantic.core.positions import LineIndex

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"


def units(text: str, encoding: str) -> int:
    """The length of ``text`` in the code units of ``encoding``."""
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    if encoding == UTF16:
        return len(text.encode("utf-16-le", "surrogatepass")) // 2
    return len(text)


def code_points_for(line_text: str, character: int, encoding: str) -> int:
    """How many code points of ``line_text`` span ``character`` code units.

    A position inside a character (the middle of a surrogate pair or of a
    UTF-8 sequence) is rounded to the character's start, as LSP asks.
    """
    if encoding == UTF32:
        return min(character, len(line_text))
    count = 0
    for index, char in enumerate(line_text):
        count += units(char, encoding)
        if count > character:
            return index
    return len(line_text)


class PositionMapper:
    """Maps code-point offsets and spans of one text to LSP positions and back."""

    def __init__(self, text: str, encoding: str = UTF16) -> None:
        self.text = text
        self.index = LineIndex(text)
        # lsprotocol's PositionEncodingKind is a str enum: compare by value, not str().
        self.encoding = str(getattr(encoding, "value", encoding))
        if self.encoding not in (UTF8, UTF16, UTF32):
            raise ValueError(f"unknown position encoding {encoding!r}")

    def _line_text(self, line: int) -> str:
        """1-based ``line`` without its line ending."""
        start = self.index.line_start(line)
        end = self.index.next_line_start(line)
        return self.text[start:end].rstrip("\r\n")

    def position(self, offset: int) -> types.Position:
        line = self.index.line_of(offset)
        start = self.index.line_start(line)
        return types.Position(line=line - 1, character=units(self.text[start:offset], self.encoding))

    def line_column(self, line: int, column: int) -> types.Position:
        """From a 1-based line and 1-based code-point column."""
        return self.position(self.index.offset(line, column - 1))

    def span_range(self, span: Span) -> types.Range:
        return types.Range(
            start=self.line_column(span.line, span.column),
            end=self.line_column(span.end_line, span.end_column),
        )

    def offsets_range(self, start: int, end: int) -> types.Range:
        return types.Range(start=self.position(start), end=self.position(end))

    def offset(self, position: types.Position) -> int:
        """The code-point offset of an LSP position (clamped to the text)."""
        line = position.line + 1
        if line - 1 >= len(self.index.starts):
            return len(self.text)
        return self.index.line_start(line) + code_points_for(self._line_text(line), position.character, self.encoding)
