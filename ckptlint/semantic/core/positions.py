"""Lines of a text: offsets to lines and columns and back (no libcst: reporters use it too).

Lines are split the way Python's tokenizer splits them (`\\n`, `\\r\\n`,
`\\r`), not by `str.splitlines`, which also splits on form feeds and
Unicode separators and would shift every offset after one.
"""

from __future__ import annotations

import bisect
import re
from typing import List

_NEWLINE = re.compile(r"\r\n|\r|\n")


class LineIndex:
    def __init__(self, text: str) -> None:
        self.text = text
        self.starts: List[int] = [0] + [m.end() for m in _NEWLINE.finditer(text)]

    def offset(self, line: int, column: int) -> int:
        """Code-point offset of 1-based ``line`` and 0-based ``column``."""
        if line - 1 >= len(self.starts):
            return len(self.text)
        return min(self.starts[line - 1] + column, len(self.text))

    def line_of(self, offset: int) -> int:
        """1-based line holding ``offset``."""
        return bisect.bisect_right(self.starts, offset)

    def line_start(self, line: int) -> int:
        return self.starts[line - 1] if line - 1 < len(self.starts) else len(self.text)

    def next_line_start(self, line: int) -> int:
        """Offset where the line after ``line`` begins (the end of text if none)."""
        return self.starts[line] if line < len(self.starts) else len(self.text)
