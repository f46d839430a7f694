"""What a rule reports: a frozen Diagnostic with a precise Span."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from ckptlint.fixes.model import Fix


@dataclass(frozen=True)
class Span:
    """A source range. Lines are 1-based; columns are 1-based code points,
    ``end_column`` exclusive; offsets are code-point offsets into the text."""

    line: int
    column: int
    end_line: int
    end_column: int
    start_offset: int
    end_offset: int


@dataclass(frozen=True)
class Diagnostic:
    """One finding of one rule in one file."""

    path: str
    code: str
    name: str
    message: str
    span: Span
    fix: Optional[Fix] = None
    # The line a `# noqa` must sit on, and what baselines key on (the rule's anchor).
    noqa_line: int = field(default=0)

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def column(self) -> int:
        return self.span.column

    def sort_key(self) -> tuple:
        return (self.path, self.span.line, self.span.column, self.code)


@dataclass(frozen=True)
class FileError:
    """A file that could not be linted (unreadable, undecodable, unparsable, too big)
    or an internal error of one rule on one file. Reported as one line."""

    path: str
    message: str
    internal: bool = False
    line: Optional[int] = None

    def render(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        kind = "internal error" if self.internal else "error"
        return f"{where}: {kind}: {self.message}"
