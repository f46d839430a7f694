"""What a run reports: a frozen Diagnostic with a precise Span, and the
FileError for a file that could not be linted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, List, Optional, Tuple

from ckptlint.fixes.model import Edit, Fix


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
    # In a notebook: the cell (1-based, counting every cell as editors do); the
    # span and the noqa line are then relative to that cell, and each of the
    # fix's edits to the cell `edit_cells` names for it (an import a fix adds
    # goes into the first cell).
    cell: Optional[int] = None
    edit_cells: Tuple[int, ...] = ()
    # A lint that did not build fixes (`engine.options.LintOptions.fixes`): what builds this
    # finding's fix when asked (`engine.options.fix_of`); not part of the finding's identity.
    fix_later: Optional[Callable[[], Optional[Fix]]] = field(default=None, compare=False, repr=False)

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def column(self) -> int:
        return self.span.column

    def sort_key(self) -> tuple:
        return (self.path, self.cell or 0, self.span.line, self.span.column, self.code)

    def located_edits(self) -> List[Tuple[Optional[int], Edit]]:
        """The fix's edits with the cell each lies in (None outside notebooks), in order."""
        if self.fix is None:
            return []
        cells = self.edit_cells or (None,) * len(self.fix.edits)
        return sorted(zip(cells, self.fix.edits), key=lambda pair: (pair[0] or 0, pair[1].start, pair[1].end))


# What a file error is, by name (the `name` of file errors in every output
# format, where a finding has a rule's name; ruff's `invalid-syntax` idea).
INVALID_SYNTAX = "invalid-syntax"  # Python's own parser rejects the code
UNSUPPORTED_SYNTAX = "unsupported-syntax"  # Python accepts it, ckptlint cannot parse or edit it
IO_ERROR = "io-error"  # the file cannot be read, decoded or written back
INTERNAL_ERROR = "internal-error"  # a bug: a rule failed, or fixes would break the code
ERROR_KINDS = (INVALID_SYNTAX, UNSUPPORTED_SYNTAX, IO_ERROR, INTERNAL_ERROR)


@dataclass(frozen=True)
class FileError:
    """A file that could not be linted (unreadable, undecodable, unparsable, too big)
    or an internal error of one rule on one file. Reported as one line, and as a
    finding named `kind` in the machine formats; it fails the run like a finding
    (exit 1), an internal error fails it like a crash (exit 2)."""

    path: str
    message: str
    internal: bool = False
    line: Optional[int] = None
    column: Optional[int] = None  # 1-based code points, when the position is known
    kind: str = ""  # one of ERROR_KINDS; by default internal-error or io-error
    cell: Optional[int] = None  # in a notebook, as for `Diagnostic.cell`

    def __post_init__(self) -> None:
        if not self.kind:
            object.__setattr__(self, "kind", INTERNAL_ERROR if self.internal else IO_ERROR)

    def location(self) -> str:
        """`path[:cell N][:line[:column]]`, as the text formats print positions."""
        where = self.path + (f":cell {self.cell}" if self.cell is not None else "")
        if self.line:
            where += f":{self.line}" + (f":{self.column}" if self.column else "")
        return where

    def render(self) -> str:
        return f"{self.location()}: {self.kind}: {self.message}"

    def sort_key(self) -> tuple:
        return (self.path, self.cell or 0, self.line or 0, self.column or 0, self.kind)
