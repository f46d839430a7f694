"""SARIF 2.1.0 for GitHub code scanning (and any other SARIF consumer).

One run; the driver lists every rule in the registry (so `ruleIndex` is
stable whatever was selected) with the rule document as `help`. Locations are
relative URIs under `%SRCROOT%` (`GITHUB_WORKSPACE`, else the working
directory) and regions use code-point columns (`columnKind:
unicodeCodePoints`, end column exclusive, as in `Span`). No
`partialFingerprints`: upload-sarif computes them from the file contents.

Every result has level `error`: ckptlint has no severities, and any finding
fails `ckptlint check` (exit 1), so code scanning should treat it the same.

A file that could not be linted is a result too, its `ruleId` the kind of
error (`invalid-syntax`, `unsupported-syntax`, `io-error`, `internal-error`;
descriptors listed after the rules) at Python's position; an internal error
is also a tool execution notification and makes `executionSuccessful` false.
In a notebook, regions (of findings and fix replacements alike) are relative
to the cell named by the `cell` property, 1-based, every cell counted; the
message starts with the cell.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any, Dict, List, Optional, TextIO
from urllib.parse import quote

from ckptlint import __version__
from ckptlint.diagnostics import ERROR_KINDS, Diagnostic, FileError
from ckptlint.engine.session.report import FileReport, RunReport
from ckptlint.fixes.model import Applicability
from ckptlint.links import PROJECT_URL, rule_url
from ckptlint.reporters.github import relative_path, workspace_root
from ckptlint.semantic.core.positions import LineIndex

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
LEVEL = "error"


def _uri(path: str, root: str) -> str:
    # Percent-encode everything but `/`: a `:` in the first segment would read as a scheme.
    return quote(relative_path(path, root), safe="/")


def _root_uri(root: str) -> str:
    uri = pathlib.Path(root).as_uri()
    return uri if uri.endswith("/") else uri + "/"


_ERROR_DESCRIPTIONS = {
    "invalid-syntax": "Python's parser rejects the file",
    "unsupported-syntax": "Python accepts the file, but ckptlint cannot parse or edit it",
    "io-error": "The file cannot be read, decoded or written back",
    "internal-error": "A rule or the fixer failed on the file (a bug in ckptlint)",
}


def _rules() -> List[Dict[str, Any]]:
    from ckptlint.docs import render
    from ckptlint.rules.registry import RULES

    rules = []
    for rule in RULES:
        document = render(rule)
        rules.append(
            {
                "id": rule.code,
                "name": rule.name,
                "shortDescription": {"text": rule.message},
                "fullDescription": {"text": rule.summary()},
                "helpUri": rule_url(rule.code),
                "help": {"text": document, "markdown": document},
                "defaultConfiguration": {"level": LEVEL, "enabled": not rule.opt_in},
                "properties": {"fix": rule.fix_class},
            }
        )
    for kind in ERROR_KINDS:
        rules.append(
            {
                "id": kind,
                "name": kind,
                "shortDescription": {"text": _ERROR_DESCRIPTIONS[kind]},
                "defaultConfiguration": {"level": LEVEL},
            }
        )
    return rules


def _region(index: LineIndex, start: int, end: int) -> Dict[str, int]:
    start_line, end_line = index.line_of(start), index.line_of(end)
    return {
        "startLine": start_line,
        "startColumn": start - index.line_start(start_line) + 1,
        "endLine": end_line,
        "endColumn": end - index.line_start(end_line) + 1,
    }


def _replacement(index: LineIndex, start: int, end: int, content: str, cell: Optional[int]) -> Dict[str, Any]:
    replacement: Dict[str, Any] = {"deletedRegion": _region(index, start, end), "insertedContent": {"text": content}}
    if cell is not None:
        replacement["properties"] = {"cell": cell}
    return replacement


def _fix(diagnostic: Diagnostic, location: Dict[str, Any], file: FileReport) -> Dict[str, Any]:
    fix = diagnostic.fix
    assert fix is not None
    unsafe = fix.applicability is not Applicability.SAFE
    indexes: Dict[Optional[int], LineIndex] = {}
    replacements = []
    for cell, edit in diagnostic.located_edits():
        index = indexes.setdefault(cell, LineIndex(file.text_for(cell)))
        replacements.append(_replacement(index, edit.start, edit.end, edit.content, cell))
    return {
        "description": {"text": f"{fix.title} (unsafe fix)" if unsafe else fix.title},
        "artifactChanges": [{"artifactLocation": location, "replacements": replacements}],
        "properties": {"applicability": fix.applicability.value},
    }


def _in_cell(cell: Optional[int], message: str) -> Dict[str, Any]:
    return {"text": f"cell {cell}: {message}" if cell is not None else message}


def _result(diagnostic: Diagnostic, rule_index: int, location: Dict[str, Any], file: FileReport) -> Dict[str, Any]:
    span = diagnostic.span
    region = {"startLine": span.line, "startColumn": span.column, "endLine": span.end_line, "endColumn": span.end_column}
    result: Dict[str, Any] = {
        "ruleId": diagnostic.code,
        "ruleIndex": rule_index,
        "level": LEVEL,
        "message": _in_cell(diagnostic.cell, diagnostic.message),
        "locations": [{"physicalLocation": {"artifactLocation": location, "region": region}}],
    }
    if diagnostic.cell is not None:
        result["properties"] = {"cell": diagnostic.cell}
    if diagnostic.fix is not None and file.text is not None:
        result["fixes"] = [_fix(diagnostic, location, file)]
    return result


def _error_location(error: FileError, location: Dict[str, Any]) -> Dict[str, Any]:
    physical: Dict[str, Any] = {"artifactLocation": location}
    if error.line:
        physical["region"] = {"startLine": error.line, **({"startColumn": error.column} if error.column else {})}
    return {"physicalLocation": physical}


def _error_result(error: FileError, rule_index: int, location: Dict[str, Any]) -> Dict[str, Any]:
    result: Dict[str, Any] = {
        "ruleId": error.kind,
        "ruleIndex": rule_index,
        "level": LEVEL,
        "message": _in_cell(error.cell, error.message),
        "locations": [_error_location(error, location)],
    }
    if error.cell is not None:
        result["properties"] = {"cell": error.cell}
    return result


def to_sarif(report: RunReport, root: Optional[str] = None) -> Dict[str, Any]:
    root = root or workspace_root()
    rules = _rules()
    rule_index = {rule["id"]: number for number, rule in enumerate(rules)}
    results = []
    notifications = []
    for file in report.files:
        location = {"uri": _uri(file.path, root), "uriBaseId": SRCROOT}
        for diagnostic in sorted(file.diagnostics, key=Diagnostic.sort_key):
            results.append(_result(diagnostic, rule_index[diagnostic.code], location, file))
        for error in sorted(file.errors, key=FileError.sort_key):
            results.append(_error_result(error, rule_index[error.kind], location))
            if error.internal:
                notifications.append(
                    {"level": "error", "message": {"text": error.message}, "locations": [_error_location(error, location)]}
                )
    run: Dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "ckptlint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": PROJECT_URL,
                "rules": rules,
            }
        },
        "originalUriBaseIds": {SRCROOT: {"uri": _root_uri(root)}},
        "columnKind": "unicodeCodePoints",
        "invocations": [
            {
                "executionSuccessful": not any(error.internal for error in report.errors),
                "toolExecutionNotifications": notifications,
            }
        ],
        "results": results,
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def write_sarif(report: RunReport, out: TextIO, color: bool) -> None:
    json.dump(to_sarif(report), out, indent=2, ensure_ascii=False)
    out.write("\n")
