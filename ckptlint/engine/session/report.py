"""The data of one run: what was asked (`FixMode`), and what each file gave.

Reporters, the baseline and the command line read these; nothing here
computes anything.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from ckptlint.diagnostics import Diagnostic, FileError


class FixMode(enum.Enum):
    CHECK = "check"  # report only
    FIX = "fix"  # apply fixes and write files
    DIFF = "diff"  # compute fixes, write nothing


@dataclass
class FileReport:
    path: str
    diagnostics: List[Diagnostic] = field(default_factory=list)
    errors: List[FileError] = field(default_factory=list)
    fixed: int = 0  # fixes in the file's new content (written, with FixMode.FIX)
    original: Optional[str] = None  # the file's content as read
    text: Optional[str] = None  # its content after fixes (== original when none)
    fixed_codes: List[str] = field(default_factory=list)  # one code per fix counted in `fixed`
    # Notebooks: the code of each cell by number, the text its findings' positions refer to.
    cell_texts: Optional[Dict[int, str]] = None

    @property
    def changed(self) -> bool:
        return self.original is not None and self.text is not None and self.text != self.original

    def text_for(self, cell: Optional[int]) -> str:
        """The text the positions of a finding in ``cell`` (None: not in a cell) refer to."""
        if cell is not None and self.cell_texts is not None:
            return self.cell_texts.get(cell, "")
        return self.text or ""

    def forget_fixes(self) -> None:
        """The fixes were not written: count none, and show the file as it is."""
        self.fixed, self.fixed_codes, self.text = 0, [], self.original


@dataclass
class RunReport:
    files: List[FileReport] = field(default_factory=list)
    unsafe_fixes: bool = False  # whether the run applies (and counts) unsafe fixes

    @property
    def diagnostics(self) -> List[Diagnostic]:
        return [d for f in self.files for d in f.diagnostics]

    @property
    def errors(self) -> List[FileError]:
        return [e for f in self.files for e in f.errors]

    @property
    def fixed(self) -> int:
        return sum(f.fixed for f in self.files)

    def applicable(self, diagnostic: Diagnostic) -> bool:
        """Whether `--fix` in this run's settings applies the finding's fix (ruff's `[*]`)."""
        return diagnostic.fix is not None and diagnostic.fix.applicability.allowed(self.unsafe_fixes)
