"""SARIF 2.1.0 for GitHub code scanning (and any other SARIF consumer).

One run; the driver lists every rule in the registry (so `ruleIndex` is
stable whatever was selected) with the rule document as `help`. Locations are
relative URIs under `%SRCROOT%` (`GITHUB_WORKSPACE`, else the working
directory) and regions use code-point columns (`columnKind:
unicodeCodePoints`, end column exclusive, as in `Span`). No
`partialFingerprints`: upload-sarif computes them from the file contents.

Every result has level `error`: ckptlint has no severities, and any finding
fails `ckptlint check` (exit 1), so code scanning should treat it the same.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any, Dict, List, Optional, TextIO
from urllib.parse import quote

from ckptlint import __version__
from ckptlint.api import RunReport
from ckptlint.diagnostics import Diagnostic
from ckptlint.fixes.model import Applicability, Fix
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
    return rules


def _region(index: LineIndex, start: int, end: int) -> Dict[str, int]:
    start_line, end_line = index.line_of(start), index.line_of(end)
    return {
        "startLine": start_line,
        "startColumn": start - index.line_start(start_line) + 1,
        "endLine": end_line,
        "endColumn": end - index.line_start(end_line) + 1,
    }


def _fix(fix: Fix, location: Dict[str, Any], index: LineIndex) -> Dict[str, Any]:
    unsafe = fix.applicability is not Applicability.SAFE
    return {
        "description": {"text": f"{fix.title} (unsafe fix)" if unsafe else fix.title},
        "artifactChanges": [
            {
                "artifactLocation": location,
                "replacements": [
                    {
                        "deletedRegion": _region(index, edit.start, edit.end),
                        "insertedContent": {"text": edit.content},
                    }
                    for edit in sorted(fix.edits, key=lambda e: (e.start, e.end))
                ],
            }
        ],
        "properties": {"applicability": fix.applicability.value},
    }


def _result(diagnostic: Diagnostic, rule_index: int, location: Dict[str, Any], index: Optional[LineIndex]) -> Dict[str, Any]:
    span = diagnostic.span
    result: Dict[str, Any] = {
        "ruleId": diagnostic.code,
        "ruleIndex": rule_index,
        "level": LEVEL,
        "message": {"text": diagnostic.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": location,
                    "region": {
                        "startLine": span.line,
                        "startColumn": span.column,
                        "endLine": span.end_line,
                        "endColumn": span.end_column,
                    },
                }
            }
        ],
    }
    if diagnostic.fix is not None and index is not None:
        result["fixes"] = [_fix(diagnostic.fix, location, index)]
    return result


def to_sarif(report: RunReport, root: Optional[str] = None) -> Dict[str, Any]:
    root = root or workspace_root()
    rules = _rules()
    rule_index = {rule["id"]: number for number, rule in enumerate(rules)}
    results = []
    notifications = []
    for file in report.files:
        location = {"uri": _uri(file.path, root), "uriBaseId": SRCROOT}
        index = LineIndex(file.text) if file.text is not None else None
        for diagnostic in sorted(file.diagnostics, key=Diagnostic.sort_key):
            results.append(_result(diagnostic, rule_index[diagnostic.code], location, index))
        for error in file.errors:
            physical: Dict[str, Any] = {"artifactLocation": location}
            if error.line:
                physical["region"] = {"startLine": error.line}
            notifications.append(
                {
                    "level": "error",
                    "message": {"text": error.message},
                    "locations": [{"physicalLocation": physical}],
                }
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
