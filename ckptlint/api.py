"""The one entry point for the CLI, the language server and the hook.

`lint_source` / `fix_source` work on text; `lint_paths` reads files (each
once), lints or fixes them, and writes fixed files back in their own
encoding, line endings and permissions.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Type

from ckptlint.config.settings import Settings
from ckptlint.diagnostics import Diagnostic, FileError
from ckptlint.engine.discovery import discover
from ckptlint.engine.fixer import FixOutcome, fix_text
from ckptlint.engine.runner import LintOutcome, lint_text
from ckptlint.engine.selection import rules_for
from ckptlint.engine.source import SourceError, SourceFile, read_source, write_source
from ckptlint.rules.base import Rule


class FixMode(enum.Enum):
    CHECK = "check"  # report only
    FIX = "fix"  # apply fixes and write files
    DIFF = "diff"  # compute fixes, write nothing


@dataclass
class FileReport:
    path: str
    diagnostics: List[Diagnostic] = field(default_factory=list)
    errors: List[FileError] = field(default_factory=list)
    fixed: int = 0
    original: Optional[str] = None
    text: Optional[str] = None  # the text after fixes (== original when none)

    @property
    def changed(self) -> bool:
        return self.original is not None and self.text is not None and self.text != self.original


@dataclass
class RunReport:
    files: List[FileReport] = field(default_factory=list)

    @property
    def diagnostics(self) -> List[Diagnostic]:
        return [d for f in self.files for d in f.diagnostics]

    @property
    def errors(self) -> List[FileError]:
        return [e for f in self.files for e in f.errors]

    @property
    def fixed(self) -> int:
        return sum(f.fixed for f in self.files)


def lint_source(
    text: str,
    path: str,
    settings: Settings,
    *,
    rules: Optional[Sequence[Type[Rule]]] = None,
) -> LintOutcome:
    """Lint ``text`` as if it were the file ``path``."""
    selected = rules_for(path, settings) if rules is None else rules
    return lint_text(text, path, selected, settings.project)


def fix_source(
    text: str,
    path: str,
    settings: Settings,
    *,
    unsafe_fixes: bool = False,
    rules: Optional[Sequence[Type[Rule]]] = None,
) -> FixOutcome:
    """Apply fixes to ``text`` until nothing changes; the text is never made unparsable."""
    selected = rules_for(path, settings) if rules is None else rules
    return fix_text(text, path, selected, settings.project, unsafe=unsafe_fixes)


def process_source(
    source: SourceFile, settings: Settings, mode: FixMode, unsafe_fixes: bool = False
) -> FileReport:
    """Lint (and in FIX/DIFF mode, fix) one decoded source."""
    report = FileReport(path=source.path, original=source.text, text=source.text)
    if mode is FixMode.CHECK:
        outcome = lint_source(source.text, source.path, settings)
        report.diagnostics, report.errors = outcome.diagnostics, outcome.errors
        return report
    fixed = fix_source(source.text, source.path, settings, unsafe_fixes=unsafe_fixes)
    report.diagnostics, report.errors = fixed.outcome.diagnostics, list(fixed.outcome.errors)
    if fixed.error is not None:
        report.errors.append(fixed.error)
    report.fixed, report.text = fixed.applied, fixed.text
    return report


def process_file(path: str, settings: Settings, mode: FixMode, unsafe_fixes: bool = False) -> FileReport:
    try:
        source = read_source(path, settings.max_file_size)
    except SourceError as exc:
        return FileReport(path=path, errors=[FileError(path, str(exc))])
    report = process_source(source, settings, mode, unsafe_fixes)
    if mode is FixMode.FIX and report.changed:
        try:
            write_source(source, report.text or "")
        except OSError as exc:
            report.errors.append(FileError(path, f"cannot write fixes: {exc.strerror or exc}"))
    return report


def lint_paths(
    paths: Sequence[str], settings: Settings, mode: FixMode = FixMode.CHECK, unsafe_fixes: bool = False
) -> RunReport:
    """Discover the files under ``paths`` and process each of them."""
    return RunReport(
        [process_file(path, settings, mode, unsafe_fixes) for path in discover(paths, settings) if path != "-"]
    )
