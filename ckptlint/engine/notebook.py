"""Jupyter notebooks: lint the code cells as one module, report per cell.

The code cells are joined into one text (a cell that does not end with a
newline gets one), so names imported in one cell are known in the next,
as when the notebook runs top to bottom. IPython lines (`%magic`,
`!shell`, `x = !cmd`, `help?`) become a placeholder of the same length, so
every offset in a cell is the same in the joined text; cells that start
with a cell magic (`%%bash`) are left out. Findings are reported as
`path:cell N:line:col`; fixes are applied to the joined text and written
back into the cells' `source` only: outputs, metadata and every other cell
are left as they were.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from ckptlint.diagnostics import Diagnostic, FileError, Span
from ckptlint.fixes.model import Edit, Fix

if TYPE_CHECKING:
    from ckptlint.api import FileReport, FixMode
    from ckptlint.config.settings import Settings

SUFFIX = ".ipynb"
_MAGIC = re.compile(r"^\s*(?:[%!]|[\w.]+\s*=\s*[%!])|\?\s*$")


def is_notebook(path: str) -> bool:
    return path.endswith(SUFFIX)


@dataclass(frozen=True)
class Cell:
    index: int  # position in the notebook's `cells`
    number: int  # 1-based, counting code cells only (as users see "cell N")
    start: int  # offset of the cell in the joined text
    end: int  # end of the cell's own text (without an added newline)
    first_line: int  # line of the joined text where the cell starts
    added_newline: bool


@dataclass
class JoinedNotebook:
    document: Dict[str, Any]
    text: str  # the joined, placeholder-masked code
    cells: List[Cell]
    magics: List[Tuple[int, int, str]]  # (start, end, original text) in the joined text

    def cell_at(self, offset: int) -> Cell:
        for cell in reversed(self.cells):
            if cell.start <= offset:
                return cell
        return self.cells[0]


def _source(cell: Dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def join(document: Dict[str, Any]) -> JoinedNotebook:
    parts: List[str] = []
    cells: List[Cell] = []
    magics: List[Tuple[int, int, str]] = []
    offset, line, number = 0, 1, 0
    for index, cell in enumerate(document.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        number += 1
        source = _source(cell)
        if source.lstrip().startswith("%%"):
            continue
        masked = []
        position = offset
        for raw in source.splitlines(keepends=True):
            body = raw.rstrip("\r\n")
            if _MAGIC.search(body):
                indent = len(body) - len(body.lstrip())
                content = body[indent:]
                magics.append((position + indent, position + len(body), content))
                raw = body[:indent] + "0" + " " * (len(content) - 1) + raw[len(body):]
            masked.append(raw)
            position += len(raw)
        text = "".join(masked)
        added = bool(text) and not text.endswith(("\n", "\r"))
        cells.append(Cell(index, number, offset, offset + len(text), line, added))
        text += "\n" if added or not text else ""
        parts.append(text)
        offset += len(text)
        line += text.count("\n")
    return JoinedNotebook(document, "".join(parts), cells, magics)


def _shift(offset: int, edits: Sequence[Edit]) -> int:
    """Where ``offset`` of the old text lands in the new one. Text inserted at a
    cell boundary stays with the cell before it (an import added after the
    first cell's imports), and text inserted before a magic line stays before it."""
    delta = 0
    for edit in edits:
        if edit.end <= offset:
            delta += len(edit.content) - (edit.end - edit.start)
    return offset + delta


def write_back(joined: JoinedNotebook, new_text: str, edits: Sequence[Edit]) -> Optional[Dict[str, Any]]:
    """The notebook with the fixed code in its cells (None if a fix touched a magic line)."""
    for start, end, _ in joined.magics:
        if any(e.start < end and start < e.end for e in edits):
            return None
    text = new_text
    for start, end, original in sorted(joined.magics, reverse=True):
        new_start = _shift(start, edits)
        text = text[:new_start] + original + text[new_start + (end - start) :]
    document = json.loads(json.dumps(joined.document))
    bounds = [0] + [_shift(cell.start, edits) for cell in joined.cells[1:]] + [len(text)]
    for cell, begin, finish in zip(joined.cells, bounds, bounds[1:]):
        source = text[begin:finish]
        if cell.added_newline and source.endswith("\n"):
            source = source[:-1]
        target = document["cells"][cell.index]
        if isinstance(target.get("source"), list):
            target["source"] = source.splitlines(keepends=True)
        else:
            target["source"] = source
    return document


def dumps(document: Dict[str, Any], original: str) -> str:
    """Serialize like the original file (indent, trailing newline); keys keep their order."""
    match = re.search(r"\n( +)\"", original)
    indent = len(match.group(1)) if match else 1
    text = json.dumps(document, indent=indent, ensure_ascii=False)
    return text + "\n" if original.endswith("\n") else text


def to_cell(diagnostic: Diagnostic, joined: JoinedNotebook, path: str) -> Diagnostic:
    """``diagnostic`` in the coordinates of its cell, its path `nb.ipynb:cell N`."""
    cell = joined.cell_at(diagnostic.span.start_offset)
    lines = cell.first_line - 1
    span = diagnostic.span
    local = Span(
        span.line - lines, span.column, span.end_line - lines, span.end_column,
        span.start_offset - cell.start, span.end_offset - cell.start,
    )
    fix = diagnostic.fix
    if fix is not None:
        inside = tuple(
            Edit(e.start - cell.start, e.end - cell.start, e.content)
            for e in fix.edits
            if cell.start <= e.start and e.end <= cell.end + (1 if cell.added_newline else 0)
        )
        fix = Fix(inside, fix.applicability, fix.title) if inside else None
    return replace(
        diagnostic,
        path=f"{path}:cell {cell.number}",
        span=local,
        fix=fix,
        noqa_line=(diagnostic.noqa_line or span.line) - lines,
    )


def cell_texts(joined: JoinedNotebook, path: str) -> Dict[str, str]:
    """The code of each cell, keyed by the path its findings carry (for the full output)."""
    texts = {}
    for cell in joined.cells:
        text = joined.text[cell.start : cell.end]
        for start, end, original in joined.magics:
            if cell.start <= start < cell.end:
                text = text[: start - cell.start] + original + text[end - cell.start :]
        texts[f"{path}:cell {cell.number}"] = text
    return texts


def process_notebook(path: str, settings: "Settings", mode: "FixMode", unsafe_fixes: bool = False) -> "FileReport":
    """Lint (and in FIX/DIFF mode, fix) one notebook; never raises for a bad file."""
    from ckptlint.api import FileReport, FixMode, fix_source, lint_source
    from ckptlint.engine.source import SourceError, read_source, write_source

    try:
        source = read_source(path, settings.max_file_size)
        document = json.loads(source.text)
        if not isinstance(document, dict) or not isinstance(document.get("cells", []), list):
            raise ValueError("no `cells` list")
    except SourceError as exc:
        return FileReport(path=path, errors=[FileError(path, str(exc))])
    except ValueError as exc:
        return FileReport(path=path, errors=[FileError(path, f"not a notebook: {exc}")])
    joined = join(document)
    report = FileReport(path=path, original=source.text, text=source.text)
    if not joined.cells:
        return report
    if mode is FixMode.CHECK:
        outcome = lint_source(joined.text, path, settings)
        diagnostics, errors, new_text, edits = outcome.diagnostics, list(outcome.errors), joined.text, []
    else:
        fixed = fix_source(joined.text, path, settings, unsafe_fixes=unsafe_fixes)
        diagnostics, errors, new_text = fixed.outcome.diagnostics, list(fixed.outcome.errors), fixed.text
        if fixed.error is not None:
            errors.append(fixed.error)
        report.fixed, report.fixed_codes = fixed.applied, list(fixed.fixed_codes)
        edits = line_edits(joined.text, new_text)
    if edits:
        new_document = write_back(joined, new_text, edits)
        if new_document is None:
            errors.append(FileError(path, "a fix would change an IPython magic line; notebook left unchanged"))
            report.fixed, report.fixed_codes = 0, []
        else:
            report.text = dumps(new_document, source.text)
            joined = join(new_document)
            if mode is FixMode.FIX and report.changed:
                try:
                    write_source(source, report.text)
                except OSError as exc:
                    errors.append(FileError(path, f"cannot write fixes: {exc.strerror or exc}"))
    report.diagnostics = [to_cell(d, joined, path) for d in diagnostics]
    report.errors = errors
    report.cell_texts = cell_texts(joined, path)
    return report


def line_edits(old: str, new: str) -> List[Edit]:
    """Line-level edits from ``old`` to ``new``: each stays within the lines it changes,
    so fixes in different cells never merge into one edit across a cell boundary."""
    import difflib

    if old == new:
        return []
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    starts = [0]
    for line in old_lines:
        starts.append(starts[-1] + len(line))
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    return [
        Edit(starts[i1], starts[i2], "".join(new_lines[j1:j2]))
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]
