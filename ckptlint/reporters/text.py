"""The concise text format: `path:line:col: CODE [*] message`."""

from __future__ import annotations

from typing import TextIO

import click

from ckptlint.api import RunReport
from ckptlint.diagnostics import Diagnostic


def format_concise(diagnostic: Diagnostic, color: bool) -> str:
    def style(text: str, **kwargs: object) -> str:
        return click.style(text, **kwargs) if color else text  # type: ignore[arg-type]

    location = f"{style(diagnostic.path, bold=True)}:{diagnostic.span.line}:{diagnostic.span.column}:"
    fixable = f" {style('[*]', fg='cyan')}" if diagnostic.fix is not None else ""
    return f"{location} {style(diagnostic.code, fg='red', bold=True)}{fixable} {diagnostic.message}"


def write_concise(report: RunReport, out: TextIO, color: bool) -> None:
    for diagnostic in sorted(report.diagnostics, key=Diagnostic.sort_key):
        out.write(format_concise(diagnostic, color) + "\n")
