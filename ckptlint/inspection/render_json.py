"""The machine-readable form of `ckptlint inspect` (``--format json``) and its schema.

The document is versioned by its ``schema`` field. Within a version, fields
are only ever added, never renamed, removed or retyped; :data:`SCHEMA` is the
JSON Schema every document validates against (a test checks real outputs).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Dict, Sequence

from ckptlint.inspection.report import FileReport

SCHEMA_ID = "ckptlint.inspect/1"


def to_document(reports: Sequence[FileReport]) -> Dict[str, Any]:
    return {
        "schema": SCHEMA_ID,
        "exit_code": max((r.exit_code for r in reports), default=0),
        "files": [_file(report) for report in reports],
    }


def render_json(reports: Sequence[FileReport]) -> str:
    return json.dumps(to_document(reports), indent=2, ensure_ascii=False) + "\n"


def _file(report: FileReport) -> Dict[str, Any]:
    contents = dataclasses.asdict(report.contents) if report.contents is not None else None
    return {
        "path": report.path,
        "status": report.status,
        "exit_code": report.exit_code,
        "container": report.container,
        "size": report.size,
        "contents": contents,
        "unsafe_globals": list(report.unsafe_globals),
        "shards": [dataclasses.asdict(shard) for shard in report.shards],
        "findings": [dataclasses.asdict(f) for f in report.findings],
        "error": report.error,
    }


_NULLABLE_STRING = {"type": ["string", "null"]}
_SCALAR = {"type": ["integer", "number", "string", "null"]}
_STATE = {
    "type": "object",
    "required": ["location", "summary"],
    "properties": {"location": {"type": "string"}, "summary": {"type": "string"}},
}
_WEIGHTS = {
    "type": "object",
    "required": ["location", "is_model", "tensors", "parameters", "bytes", "dtypes", "devices", "prefix"],
    "properties": {
        "location": {"type": "string", "description": "key path in the file; '' for the whole file"},
        "is_model": {"type": "boolean"},
        "tensors": {"type": "integer", "minimum": 0},
        "parameters": {"type": "integer", "minimum": 0},
        "bytes": {"type": "integer", "minimum": 0},
        "dtypes": {"type": "object", "additionalProperties": {"type": "integer"}},
        "devices": {"type": "array", "items": {"type": "string"},
                    "description": "where the tensors were saved from; empty when unknown (DCP)"},
        "prefix": {"type": "string", "description": "wrapper prefix on every key, e.g. 'module.'"},
    },
}
_RNG = {
    "type": "object",
    "required": ["location", "sources", "cuda", "ranks"],
    "properties": {
        "location": {"type": "string"},
        "sources": {"type": "array", "items": {"enum": ["torch", "cuda", "numpy", "python", "generators"]}},
        "cuda": {"enum": ["none", "every-device", "current-device-only", "unknown"]},
        "ranks": {"type": ["integer", "null"]},
    },
}
_POINTER = {
    "type": ["object", "null"],
    "required": ["target", "target_exists", "epoch", "step"],
    "properties": {"target": {"type": "string"}, "target_exists": {"type": "boolean"},
                   "epoch": _SCALAR, "step": _SCALAR},
}
_CONTENTS = {
    "type": ["object", "null"],
    "description": "null when the file was not loaded (unreadable, or unsafe globals)",
    "required": ["layout", "kind", "format", "weights", "optimizers", "schedulers", "scalers", "rng",
                 "counters", "torch_version", "versions", "other_keys", "pointer"],
    "properties": {
        "layout": {"enum": ["ckptlint", "ckptlint-pointer", "ckptlint-sharded", "bare-state-dict", "dict",
                            "dcp", "other"],
                   "description": "ckptlint-sharded: a DCP save by ckptlint.runtime, whose epoch, step, "
                                  "scheduler and scaler live in its `ckptlint` entry (not read)"},
        "kind": {"enum": ["training-checkpoint", "weights-only", "pointer", "unrecognised"]},
        "format": _NULLABLE_STRING,
        "weights": {"type": "array", "items": _WEIGHTS},
        "optimizers": {"type": "array", "items": _STATE},
        "schedulers": {"type": "array", "items": _STATE},
        "scalers": {"type": "array", "items": _STATE},
        "rng": {"type": "array", "items": _RNG},
        "counters": {"type": "object", "additionalProperties": _SCALAR,
                     "description": "epoch/step/iter keys; null values in DCP saves (not read)"},
        "torch_version": _NULLABLE_STRING,
        "versions": {"type": "object", "additionalProperties": {"type": "string"}},
        "other_keys": {"type": "array", "items": {"type": "string"}},
        "pointer": _POINTER,
    },
}
_FINDING = {
    "type": "object",
    "required": ["name", "code", "message"],
    "properties": {"name": {"type": "string"}, "code": {"type": ["string", "null"], "pattern": "^CKPT[0-9]{3}$"},
                   "message": {"type": "string"}},
}
SCHEMA: Dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "ckptlint inspect --format json",
    "type": "object",
    "required": ["schema", "exit_code", "files"],
    "properties": {
        "schema": {"const": SCHEMA_ID},
        "exit_code": {"enum": [0, 1, 2]},
        "files": {"type": "array", "items": {
            "type": "object",
            "required": ["path", "status", "exit_code", "container", "size", "contents", "unsafe_globals",
                         "shards", "findings", "error"],
            "properties": {
                "path": {"type": "string"},
                "status": {"enum": ["ok", "problems", "unreadable"]},
                "exit_code": {"enum": [0, 1, 2]},
                "container": {"enum": ["zip", "legacy", "dcp", "empty", "missing", "directory", "unknown"]},
                "size": {"type": ["integer", "null"]},
                "contents": _CONTENTS,
                "unsafe_globals": {"type": "array", "items": {"type": "string"}},
                "shards": {"type": "array", "items": {
                    "type": "object", "required": ["name", "bytes"],
                    "properties": {"name": {"type": "string"}, "bytes": {"type": "integer"}}}},
                "findings": {"type": "array", "items": _FINDING},
                "error": _NULLABLE_STRING,
            },
        }},
    },
}
