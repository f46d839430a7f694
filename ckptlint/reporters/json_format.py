"""JSON output: a list of findings, in ruff's shape."""

from __future__ import annotations

import json
from typing import Any, Dict, TextIO

from ckptlint.api import RunReport
from ckptlint.diagnostics import Diagnostic
from ckptlint.fixes.model import Fix
from ckptlint.links import rule_url
from ckptlint.semantic.core.positions import LineIndex


def _location(index: LineIndex, offset: int) -> Dict[str, int]:
    line = index.line_of(offset)
    return {"row": line, "column": offset - index.line_start(line) + 1}


def _fix(fix: Fix, index: LineIndex) -> Dict[str, Any]:
    return {
        "applicability": fix.applicability.value,
        "message": fix.title,
        "edits": [
            {
                "content": edit.content,
                "location": _location(index, edit.start),
                "end_location": _location(index, edit.end),
            }
            for edit in sorted(fix.edits, key=lambda e: (e.start, e.end))
        ],
    }


def to_dict(diagnostic: Diagnostic, text: str) -> Dict[str, Any]:
    span = diagnostic.span
    return {
        "code": diagnostic.code,
        "name": diagnostic.name,
        "message": diagnostic.message,
        "filename": diagnostic.path,
        "location": {"row": span.line, "column": span.column},
        "end_location": {"row": span.end_line, "column": span.end_column},
        "noqa_row": diagnostic.noqa_line,
        "url": rule_url(diagnostic.code),
        "fix": _fix(diagnostic.fix, LineIndex(text)) if diagnostic.fix is not None else None,
    }


def write_json(report: RunReport, out: TextIO, color: bool) -> None:
    items = []
    for file in report.files:
        for diagnostic in sorted(file.diagnostics, key=Diagnostic.sort_key):
            items.append(to_dict(diagnostic, file.text or ""))
    json.dump(items, out, indent=2, ensure_ascii=False)
    out.write("\n")
