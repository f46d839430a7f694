"""`--output-format json`: one document, versioned by its `schema` field.

```json
{"schema": "ckptlint.check/1", "findings": [{"code": "CKPT201", ...}, ...]}
```

Each finding has ruff's fields (`code`, `message`, `filename`, `location`,
`end_location`, `noqa_row`, `url`, `fix`, `cell`) plus `name` and
`severity`. A file that could not be linted is a finding too, with `code`
null and `name` one of `invalid-syntax`, `unsupported-syntax`, `io-error`,
`internal-error`, at the position Python's parser gives (1:1 when there is
none), so a CI job reading only this document never misses it.

- `filename` is always absolute (`-` for unnamed stdin).
- Rows and columns are 1-based, columns count code points, `end_location`
  is exclusive. In a notebook they are relative to `cell` (1-based,
  counting every cell as editors do), and each fix edit names its own cell.
- `severity` is SARIF's level: `error` for every finding today (any finding
  fails `ckptlint check`).

Within version 1, fields are only ever added, never renamed, removed or
retyped; :data:`SCHEMA` is the JSON Schema every document validates against
(a test checks real outputs).
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional, TextIO

from ckptlint.diagnostics import ERROR_KINDS, Diagnostic, FileError
from ckptlint.engine.session.report import FileReport, RunReport
from ckptlint.links import rule_url
from ckptlint.semantic.core.positions import LineIndex

SCHEMA_ID = "ckptlint.check/1"
SEVERITY = "error"


def _filename(path: str) -> str:
    return path if path == "-" else os.path.abspath(path)


def _location(index: LineIndex, offset: int) -> Dict[str, int]:
    line = index.line_of(offset)
    return {"row": line, "column": offset - index.line_start(line) + 1}


def _fix(diagnostic: Diagnostic, file: FileReport) -> Optional[Dict[str, Any]]:
    fix = diagnostic.fix
    if fix is None:
        return None
    indexes: Dict[Optional[int], LineIndex] = {}
    edits = []
    for cell, edit in diagnostic.located_edits():
        index = indexes.setdefault(cell, LineIndex(file.text_for(cell)))
        edits.append(
            {
                "content": edit.content,
                "location": _location(index, edit.start),
                "end_location": _location(index, edit.end),
                "cell": cell,
            }
        )
    return {"applicability": fix.applicability.value, "message": fix.title, "edits": edits}


def finding(diagnostic: Diagnostic, file: FileReport) -> Dict[str, Any]:
    span = diagnostic.span
    return {
        "code": diagnostic.code,
        "name": diagnostic.name,
        "message": diagnostic.message,
        "severity": SEVERITY,
        "filename": _filename(diagnostic.path),
        "cell": diagnostic.cell,
        "location": {"row": span.line, "column": span.column},
        "end_location": {"row": span.end_line, "column": span.end_column},
        "noqa_row": diagnostic.noqa_line,
        "url": rule_url(diagnostic.code),
        "fix": _fix(diagnostic, file),
    }


def error_finding(error: FileError) -> Dict[str, Any]:
    location = {"row": error.line or 1, "column": error.column or 1}
    return {
        "code": None,
        "name": error.kind,
        "message": error.message,
        "severity": SEVERITY,
        "filename": _filename(error.path),
        "cell": error.cell,
        "location": location,
        "end_location": dict(location),
        "noqa_row": None,
        "url": None,
        "fix": None,
    }


def to_document(report: RunReport) -> Dict[str, Any]:
    findings: List[Dict[str, Any]] = []
    for file in report.files:
        items = [(d.sort_key(), finding(d, file)) for d in file.diagnostics]
        items += [(e.sort_key(), error_finding(e)) for e in file.errors]
        findings.extend(item for _, item in sorted(items, key=lambda pair: pair[0]))
    return {"schema": SCHEMA_ID, "findings": findings}


def write_json(report: RunReport, out: TextIO, color: bool) -> None:
    json.dump(to_document(report), out, indent=2, ensure_ascii=False)
    out.write("\n")


_POSITION = {
    "type": "object",
    "required": ["row", "column"],
    "properties": {"row": {"type": "integer", "minimum": 1}, "column": {"type": "integer", "minimum": 1}},
}
_EDIT = {
    "type": "object",
    "required": ["content", "location", "end_location", "cell"],
    "properties": {
        "content": {"type": "string"},
        "location": _POSITION,
        "end_location": _POSITION,
        "cell": {"type": ["integer", "null"], "minimum": 1, "description": "the notebook cell the edit lies in"},
    },
}
_FIX = {
    "type": ["object", "null"],
    "required": ["applicability", "message", "edits"],
    "properties": {
        "applicability": {"enum": ["safe", "unsafe", "display-only"]},
        "message": {"type": "string"},
        "edits": {"type": "array", "items": _EDIT},
    },
}
_FINDING = {
    "type": "object",
    "required": [
        "code", "name", "message", "severity", "filename", "cell",
        "location", "end_location", "noqa_row", "url", "fix",
    ],
    "properties": {
        "code": {
            "type": ["string", "null"],
            "pattern": "^CKPT[0-9]{3}$",
            "description": "the rule's code; null for a file that could not be linted",
        },
        "name": {"type": "string", "description": f"the rule's name, or one of {', '.join(ERROR_KINDS)}"},
        "message": {"type": "string"},
        "severity": {"enum": ["error", "warning", "note"]},
        "filename": {"type": "string", "description": "absolute; `-` for stdin without --stdin-filename"},
        "cell": {"type": ["integer", "null"], "minimum": 1, "description": "notebook cell (every cell counts)"},
        "location": _POSITION,
        "end_location": _POSITION,
        "noqa_row": {"type": ["integer", "null"], "minimum": 1},
        "url": {"type": ["string", "null"]},
        "fix": _FIX,
    },
    "if": {"properties": {"code": {"type": "null"}}},
    "then": {"properties": {"name": {"enum": list(ERROR_KINDS)}, "fix": {"type": "null"}}},
}
SCHEMA: Dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "ckptlint check --output-format json",
    "type": "object",
    "required": ["schema", "findings"],
    "properties": {
        "schema": {"const": SCHEMA_ID},
        "findings": {"type": "array", "items": _FINDING},
    },
}
