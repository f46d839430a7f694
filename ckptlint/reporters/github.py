"""GitHub Actions workflow commands: one `::error` annotation per finding.

The escaping mirrors actions/toolkit `command.ts`, which is exactly what the
runner's `ActionCommand` parser undoes: data escapes `%`, `\\r`, `\\n`;
property values additionally escape `:` and `,` (the property separators).
Paths are made relative to `GITHUB_WORKSPACE` (else the working directory)
and `/`-separated, because annotations only attach to files by that form.
A file that could not be linted is annotated too, at the position Python's
parser gives.
"""

from __future__ import annotations

import os
from typing import List, Optional, TextIO, Tuple

from ckptlint.diagnostics import Diagnostic, FileError
from ckptlint.engine.session.report import RunReport
from ckptlint.reporters.text import entries


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


def _title(what: str) -> Tuple[str, object]:
    return ("title", f"ckptlint ({what})")


def format_annotation(diagnostic: Diagnostic, root: Optional[str] = None) -> str:
    """One finding as an `::error` command. A notebook's finding goes on the
    `.ipynb` file itself, with its cell and position in the message: line
    numbers of the notebook's JSON mean nothing to a reader."""
    span = diagnostic.span
    properties: List[Tuple[str, object]] = [("file", relative_path(diagnostic.path, root))]
    message = diagnostic.message
    if diagnostic.cell is None:
        properties += [("line", span.line), ("col", span.column), ("endLine", span.end_line), ("endColumn", span.end_column)]
    else:
        message = f"cell {diagnostic.cell}, line {span.line}, column {span.column}: {message}"
    properties.append(_title(f"{diagnostic.code} {diagnostic.name}"))
    return command("error", properties, message)


def format_error_annotation(error: FileError, root: Optional[str] = None) -> str:
    """A file that could not be linted, at Python's position when there is one."""
    properties: List[Tuple[str, object]] = [("file", relative_path(error.path, root))]
    message = error.message
    if error.line and error.cell is None:
        properties.append(("line", error.line))
        if error.column:
            properties.append(("col", error.column))
    elif error.line:
        message = f"cell {error.cell}, line {error.line}: {message}"
    properties.append(_title(error.kind))
    return command("error", properties, message)


def write_github(report: RunReport, out: TextIO, color: bool) -> None:
    root = workspace_root()
    for entry in entries(report):
        if isinstance(entry, FileError):
            out.write(format_error_annotation(entry, root) + "\n")
        else:
            out.write(format_annotation(entry, root) + "\n")
