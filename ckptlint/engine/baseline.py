"""Baselines: record today's findings so that only new ones fail.

A finding is keyed on its path (relative to the project root,
`/`-separated), its code, the normalized text of its anchor line (the line
a `# noqa` would go on, with runs of whitespace collapsed) and its
occurrence index among the findings of that file with the same code and
line text. Line numbers are not part of the key: editing code above a
finding does not resurrect it, while a new finding (new text, or one more
occurrence of the same text) still fails.
"""

from __future__ import annotations

import collections
import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, FrozenSet, Iterable, List, Optional, Tuple

from ckptlint.diagnostics import Diagnostic
from ckptlint.engine.selection import relative_to_root
from ckptlint.semantic.core.positions import LineIndex

if TYPE_CHECKING:
    from ckptlint.engine.session.report import FileReport, RunReport

VERSION = 1

Key = Tuple[str, str, str, int]  # (path, code, line text, occurrence)


class BaselineError(Exception):
    """A baseline file that cannot be read; the message is one line."""


@dataclass(frozen=True)
class Baseline:
    keys: FrozenSet[Key]

    def __len__(self) -> int:
        return len(self.keys)


def normalize(line: str) -> str:
    return " ".join(line.split())


def keys_for_file(file: "FileReport", root: str) -> List[Tuple[Key, Diagnostic]]:
    """The key of each finding in one file, in source order. A notebook's
    findings are keyed on the notebook's path and their cell's line text, so
    inserting a cell does not resurrect them."""
    relative = relative_to_root(file.path, root)
    indexes: Dict[Optional[int], LineIndex] = {}
    seen: Dict[Tuple[str, str], int] = collections.Counter()
    keyed = []
    for diagnostic in sorted(file.diagnostics, key=Diagnostic.sort_key):
        if diagnostic.cell not in indexes:
            indexes[diagnostic.cell] = LineIndex(file.text_for(diagnostic.cell))
        index = indexes[diagnostic.cell]
        line = diagnostic.noqa_line or diagnostic.span.line
        content = normalize(index.text[index.line_start(line) : index.next_line_start(line)])
        occurrence = seen[(diagnostic.code, content)]
        seen[(diagnostic.code, content)] += 1
        keyed.append(((relative, diagnostic.code, content, occurrence), diagnostic))
    return keyed


def _report_keys(report: "RunReport", root: str) -> Iterable[Tuple[Key, Diagnostic, int]]:
    for file_index, file in enumerate(report.files):
        for key, diagnostic in keys_for_file(file, root):
            yield key, diagnostic, file_index


def write_baseline(report: "RunReport", root: str, path: str) -> int:
    """Record every finding of ``report`` in ``path``; return how many."""
    entries = sorted({key for key, _, _ in _report_keys(report, root)})
    document = {
        "version": VERSION,
        "entries": [
            {"path": p, "code": code, "line": text, "occurrence": occurrence}
            for p, code, text, occurrence in entries
        ],
    }
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        json.dump(document, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    return len(entries)


def load_baseline(path: str) -> Baseline:
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except FileNotFoundError:
        raise BaselineError(f"baseline {path} does not exist (create it with --write-baseline)") from None
    except (OSError, ValueError) as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc}") from None
    if not isinstance(document, dict) or document.get("version") != VERSION:
        raise BaselineError(f"baseline {path}: unsupported format (expected version {VERSION})")
    try:
        keys = frozenset(
            (str(e["path"]), str(e["code"]), str(e["line"]), int(e["occurrence"])) for e in document["entries"]
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise BaselineError(f"baseline {path}: malformed entry ({exc})") from None
    return Baseline(keys)


def apply_baseline(report: "RunReport", baseline: Baseline, root: str) -> int:
    """Drop the findings ``baseline`` records from ``report``; return how many were dropped."""
    drop: Dict[int, List[Diagnostic]] = collections.defaultdict(list)
    for key, diagnostic, file_index in _report_keys(report, root):
        if key in baseline.keys:
            drop[file_index].append(diagnostic)
    dropped = 0
    for file_index, diagnostics in drop.items():
        file = report.files[file_index]
        ids = {id(d) for d in diagnostics}
        file.diagnostics = [d for d in file.diagnostics if id(d) not in ids]
        dropped += len(ids)
    return dropped
