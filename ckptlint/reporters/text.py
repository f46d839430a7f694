"""The concise text format: `path:line:col: CODE [*] message`, one line per
finding, and `path:line:col: kind: message` for a file that could not be linted.

`[*]` marks a finding whose fix `--fix` applies with this run's settings
(a safe fix, or an unsafe one with `--unsafe-fixes`), as ruff marks them. In
a notebook the position is the cell's: `train.ipynb:cell 3:2:9`.
"""

from __future__ import annotations

from typing import Iterator, List, TextIO, Union

import click

from ckptlint.diagnostics import Diagnostic, FileError
from ckptlint.engine.session.report import RunReport

Entry = Union[Diagnostic, FileError]


def entries(report: RunReport) -> Iterator[Entry]:
    """Findings and file errors, in the order of their files and positions."""
    items: List[Entry] = [*report.diagnostics, *report.errors]
    yield from sorted(items, key=lambda item: item.sort_key())


def format_concise(diagnostic: Diagnostic, color: bool, applicable: bool = True) -> str:
    """One finding on one line; ``applicable``: its fix is one `--fix` applies."""

    def style(text: str, **kwargs: object) -> str:
        return click.style(text, **kwargs) if color else text  # type: ignore[arg-type]

    cell = f":cell {diagnostic.cell}" if diagnostic.cell is not None else ""
    location = f"{style(diagnostic.path, bold=True)}{cell}:{diagnostic.span.line}:{diagnostic.span.column}:"
    fixable = f" {style('[*]', fg='cyan')}" if applicable and diagnostic.fix is not None else ""
    return f"{location} {style(diagnostic.code, fg='red', bold=True)}{fixable} {diagnostic.message}"


def format_error(error: FileError, color: bool) -> str:
    kind = click.style(error.kind, fg="red", bold=True) if color else error.kind
    return f"{error.location()}: {kind}: {error.message}"


def write_concise(report: RunReport, out: TextIO, color: bool) -> None:
    for entry in entries(report):
        if isinstance(entry, FileError):
            out.write(format_error(entry, color) + "\n")
        else:
            out.write(format_concise(entry, color, report.applicable(entry)) + "\n")
