"""The text `ckptlint migrate` prints: one block per checkpoint, then a summary line.

Each block starts with ``SOURCE -> OUTPUT: status`` and lists how the file
was read, what changed, what inspect still reports about the result (each
with its rule code, as inspect prints it) and why nothing was written, if so.
"""

from __future__ import annotations

from collections import Counter
from typing import List, Sequence, Tuple

from ckptlint.inspection.render_text import LABEL_WIDTH
from ckptlint.inspection.report import plural
from ckptlint.migration.report import STATUSES, MigrationReport

__all__ = ["render_text"]

Row = Tuple[str, str]


def _rows(label: str, values: Sequence[str]) -> List[Row]:
    return [(label if i == 0 else "", value) for i, value in enumerate(values)]


def _head(report: MigrationReport) -> str:
    arrow = f" -> {report.output}" if report.output and report.output != report.path else ""
    return f"{report.path}{arrow}: {report.status}"


def _block(report: MigrationReport) -> str:
    rows: List[Row] = []
    if report.loaded:
        rows.append(("loaded", report.loaded))
    if report.backup:
        rows.append(("backup", report.backup))
    rows += _rows("changed", report.changes)
    if report.globals:
        rows.append(("globals", ", ".join(report.globals)))
    rows += _rows("problems", report.problems)
    rows += _rows("remaining", [f"{f.code} {f.name}: {f.message}" if f.code else f"{f.name}: {f.message}"
                                for f in report.remaining])
    lines = [_head(report)] + [f"  {label:<{LABEL_WIDTH}}  {value}" for label, value in rows]
    return "\n".join(lines)


def render_text(reports: Sequence[MigrationReport]) -> str:
    counts = Counter(r.status for r in reports)
    summary = ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])
    clean = sum(1 for r in reports if r.exit_code == 0)
    blocks = "\n\n".join(_block(r) for r in reports)
    return (f"{blocks}\n\n{plural(len(reports), 'checkpoint')}: {summary}; "
            f"{clean} clean afterwards\n")
