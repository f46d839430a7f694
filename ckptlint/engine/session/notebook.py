"""Jupyter notebooks as a source kind: the code cells linted as one module.

The code cells are joined into one text (a cell that does not end with a
newline gets one), so names imported in one cell are known in the next, as
when the notebook runs top to bottom. IPython lines (`%magic`, `!shell`,
`x = !cmd`, `help?`) become a placeholder of the same length, so every
offset in a cell is the same in the joined text; cells that start with a
cell magic (`%%bash`) are left out. Cells are numbered as editors and ruff
number them: every cell counts, markdown ones too, from 1. Positions are
reported relative to their cell; fixes are applied to the joined text and
written back into the cells' `source` only: outputs, metadata and every other
cell are left as they were.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ckptlint.diagnostics import Diagnostic, FileError, Span
from ckptlint.engine.source import SourceError, SourceFile
from ckptlint.fixes.model import Edit, Fix
from ckptlint.semantic.core.positions import LineIndex

NOTEBOOK_SUFFIX = ".ipynb"
_MAGIC = re.compile(r"^\s*(?:[%!]|[\w.]+\s*=\s*[%!])|\?\s*$")


class UnsupportedEdit(Exception):
    """Fixed code that cannot be written back into the file; the message is one line."""


@dataclass(frozen=True)
class Cell:
    index: int  # position in the notebook's `cells`
    start: int  # offset of the cell in the joined text
    end: int  # end of the cell's own text (without an added newline)
    first_line: int  # line of the joined text where the cell starts
    added_newline: bool

    @property
    def number(self) -> int:
        """1-based, counting every cell (as editors show "cell N")."""
        return self.index + 1


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
    offset, line = 0, 1
    for index, cell in enumerate(document.get("cells", [])):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
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
        cells.append(Cell(index, offset, offset + len(text), line, added))
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


@dataclass(frozen=True)
class NotebookDocument:
    """A `.ipynb` file: JSON whose code cells are the code (see the module docstring)."""

    source: SourceFile  # the file: its `text` is the notebook's JSON
    joined: JoinedNotebook

    @classmethod
    def from_source(cls, source: SourceFile) -> "NotebookDocument":
        try:
            document = json.loads(source.text)
        except ValueError as exc:
            raise SourceError(f"not a notebook: {exc}") from None
        if not isinstance(document, dict) or not isinstance(document.get("cells", []), list):
            raise SourceError("not a notebook: no `cells` list")
        return cls(source, join(document))

    @property
    def path(self) -> str:
        return self.source.path

    @property
    def text(self) -> str:
        return self.joined.text

    @property
    def content(self) -> str:
        return self.source.text

    def to_user(self, diagnostic: Diagnostic) -> Diagnostic:
        """``diagnostic`` in the coordinates of its cell (its fix's edits each in their own)."""
        cell = self.joined.cell_at(diagnostic.span.start_offset)
        lines = cell.first_line - 1
        span = diagnostic.span
        local = Span(
            span.line - lines, span.column, span.end_line - lines, span.end_column,
            span.start_offset - cell.start, span.end_offset - cell.start,
        )
        fix, edit_cells = self._fix_to_user(diagnostic.fix)
        return replace(
            diagnostic,
            span=local,
            fix=fix,
            edit_cells=edit_cells,
            noqa_line=(diagnostic.noqa_line or span.line) - lines,
            cell=cell.number,
        )

    def _fix_to_user(self, fix: Optional[Fix]) -> Tuple[Optional[Fix], Tuple[int, ...]]:
        if fix is None:
            return None, ()
        edits, cells = [], []
        for edit in fix.edits:
            cell = self._cell_of_edit(edit)
            if edit.end > cell.end + (1 if cell.added_newline else 0):
                return None, ()  # an edit across a cell boundary has no place in one cell
            edits.append(replace(edit, start=edit.start - cell.start, end=edit.end - cell.start))
            cells.append(cell.number)
        return Fix(tuple(edits), fix.applicability, fix.title), tuple(cells)

    def _cell_of_edit(self, edit: Edit) -> Cell:
        """The cell an edit lies in; text inserted at a cell boundary belongs to
        the cell before it, as `write_back` puts it (an import added after the
        first cell's imports)."""
        cells = self.joined.cells
        cell = self.joined.cell_at(edit.start)
        position = cells.index(cell)
        if edit.start == edit.end == cell.start and position and not cells[position - 1].added_newline:
            return cells[position - 1]
        return cell

    def error_to_user(self, error: FileError) -> FileError:
        if not error.line or not self.joined.cells:
            return error
        index = LineIndex(self.joined.text)
        cell = self.joined.cell_at(index.line_start(error.line))
        return replace(error, line=error.line - cell.first_line + 1, cell=cell.number)

    def cell_texts(self) -> Dict[int, str]:
        """The code of each cell, magics as written."""
        texts = {}
        joined = self.joined
        for cell in joined.cells:
            text = joined.text[cell.start : cell.end]
            for start, end, original in joined.magics:
                if cell.start <= start < cell.end:
                    text = text[: start - cell.start] + original + text[end - cell.start :]
            texts[cell.number] = text
        return texts

    def updated(self, new_text: str) -> "NotebookDocument":
        """The notebook with ``new_text`` as its joined code."""
        edits = line_edits(self.joined.text, new_text)
        if not edits:
            return self
        document = write_back(self.joined, new_text, edits)
        if document is None:
            raise UnsupportedEdit("a fix would change an IPython magic line; notebook left unchanged")
        return NotebookDocument(replace(self.source, text=dumps(document, self.source.text)), join(document))
