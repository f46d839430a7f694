"""GitHub Actions workflow commands: one `::error` annotation per finding.

The escaping mirrors actions/toolkit `command.ts`, which is exactly what the
runner's `ActionCommand` parser undoes: data escapes `%`, `\\r`, `\\n`;
property values additionally escape `:` and `,` (the property separators).
Paths are made relative to `GITHUB_WORKSPACE` (else the working directory)
and `/`-separated, because annotations only attach to files by that form.
"""

from __future__ import annotations

import os
from typing import List, Optional, TextIO, Tuple

from ckptlint.api import RunReport
from ckptlint.diagnostics import Diagnostic


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def workspace_root() -> str:
    """The directory annotation paths are relative to."""
    return os.path.abspath(os.environ.get("GITHUB_WORKSPACE") or os.getcwd())


def relative_path(path: str, root: Optional[str] = None) -> str:
    """``path`` relative to ``root`` (default: the workspace), `/`-separated."""
    root = root or workspace_root()
    try:
        rel = os.path.relpath(os.path.abspath(path), root)
    except ValueError:  # another drive on Windows: keep it absolute
        rel = os.path.abspath(path)
    return rel.replace(os.sep, "/")


def command(name: str, properties: List[Tuple[str, object]], message: str) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties)
    return f"::{name} {props}::{escape_data(message)}" if props else f"::{name}::{escape_data(message)}"


def format_annotation(diagnostic: Diagnostic, root: Optional[str] = None) -> str:
    span = diagnostic.span
    return command(
        "error",
        [
            ("file", relative_path(diagnostic.path, root)),
            ("line", span.line),
            ("col", span.column),
            ("endLine", span.end_line),
            ("endColumn", span.end_column),
            ("title", f"ckptlint ({diagnostic.code} {diagnostic.name})"),
        ],
        diagnostic.message,
    )


def write_github(report: RunReport, out: TextIO, color: bool) -> None:
    root = workspace_root()
    for diagnostic in sorted(report.diagnostics, key=Diagnostic.sort_key):
        out.write(format_annotation(diagnostic, root) + "\n")
    for error in report.errors:
        properties: List[Tuple[str, object]] = [("file", relative_path(error.path, root))]
        if error.line:
            properties.append(("line", error.line))
        properties.append(("title", "ckptlint (internal error)" if error.internal else "ckptlint (error)"))
        out.write(command("error", properties, error.message) + "\n")
