"""The full text format: each finding with its source, a caret line, why it
matters and its fix as small diffs (ruff's `full` output, in plain ASCII).

```
path.py:13:9: CKPT201 [*] `torch.load` without `map_location`
   |
12 |     model.load_state_dict(
13 |         th.load(
   |         ^^^^^^^^
...
   = rule: load-without-map-location (https://.../CKPT201.md)
   = why: Without `map_location`, every tensor goes back to ...
   = fix (safe): Pass `map_location="cpu"`

    14 14 |               weights_path,
       15 | +             map_location="cpu",
    15 16 |           )
```

Each edit of a fix is its own hunk with `FIX_CONTEXT` lines around it
(edits that close together share one), so an import added at the top of a
file shows as one line, not as everything between it and the call. A file
that could not be linted shows its one line and, where Python gave a
position, the source line with a caret.

Format only: the source lines come from `FileReport.text_for` (the text the
findings refer to), the sentence from the rule's documentation.
"""

from __future__ import annotations

import difflib
from typing import Callable, List, Optional, Sequence, TextIO, Tuple, Union

import click

from ckptlint.diagnostics import Diagnostic, FileError, Span
from ckptlint.engine.session.report import RunReport
from ckptlint.fixes.model import Applicability, Edit, apply_edits
from ckptlint.links import rule_url
from ckptlint.reporters.text import entries, format_concise, format_error
from ckptlint.semantic.core.positions import LineIndex

CONTEXT_LINES = 1  # lines shown before and after the finding
FIX_CONTEXT = 2  # lines shown before and after each edit of a fix
MAX_SPAN_LINES = 6  # longer findings show their first and last lines only

Style = Callable[..., str]
TextFor = Callable[[Optional[int]], str]  # the text of a cell (None: of the file)
Row = Tuple[Optional[int], Optional[int], str, str]  # old number, new number, sign, text


def _styler(color: bool) -> Style:
    def style(text: str, **kwargs: object) -> str:
        return click.style(text, **kwargs) if color and text else text  # type: ignore[arg-type]

    return style


def _lines(index: LineIndex) -> List[str]:
    """The text of each line without its line break."""
    text = index.text
    out = []
    for number in range(1, len(index.starts) + 1):
        line = text[index.line_start(number) : index.next_line_start(number)]
        out.append(line.rstrip("\r\n"))
    if len(out) > 1 and out[-1] == "" and text.endswith(("\n", "\r")):
        out.pop()  # the "line" after the final newline
    return out


def _why(code: str) -> str:
    from ckptlint.docs import why
    from ckptlint.rules.registry import BY_CODE

    rule = BY_CODE.get(code)
    return why(rule) if rule is not None else ""


def _caret_range(line_text: str, number: int, span: Span) -> Tuple[int, int]:
    """0-based [start, end) columns to underline on line ``number``."""
    start = span.column - 1 if number == span.line else len(line_text) - len(line_text.lstrip())
    end = span.end_column - 1 if number == span.end_line else len(line_text.rstrip())
    return start, max(end, start + 1)


def _source_block(span: Span, lines: List[str], width: int, style: Style) -> List[str]:
    gutter = style(" " * width + " |", fg="blue", bold=True)
    out = [gutter]

    def numbered(number: int) -> str:
        text = lines[number - 1] if number - 1 < len(lines) else ""
        return (style(f"{number:>{width}} |", fg="blue", bold=True) + (" " + text if text else "")).rstrip()

    first = max(1, span.line - CONTEXT_LINES)
    last_line = min(len(lines), span.end_line + CONTEXT_LINES)
    shown = list(range(span.line, span.end_line + 1))
    if len(shown) > MAX_SPAN_LINES:
        shown = shown[: MAX_SPAN_LINES - 2] + [0] + shown[-1:]
    for number in range(first, span.line):
        out.append(numbered(number))
    for number in shown:
        if number == 0:
            out.append(style(" " * width + " :", fg="blue", bold=True))
            continue
        out.append(numbered(number))
        line_text = lines[number - 1] if number - 1 < len(lines) else ""
        start, end = _caret_range(line_text, number, span)
        out.append(gutter + " " + " " * start + style("^" * (end - start), fg="red", bold=True))
    for number in range(span.end_line + 1, last_line + 1):
        out.append(numbered(number))
    out.append(gutter)
    return out


def _hunks(edits: Sequence[Edit], index: LineIndex) -> List[Tuple[int, int, List[Edit]]]:
    """``edits`` grouped into hunks: (first line, last line, edits), by line, in order.
    Edits whose context would touch share a hunk."""
    groups: List[Tuple[int, int, List[Edit]]] = []
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        first, last = index.line_of(edit.start), index.line_of(max(edit.end - 1, edit.start))
        if groups and first - groups[-1][1] <= 2 * FIX_CONTEXT + 1:
            groups[-1] = (groups[-1][0], max(last, groups[-1][1]), groups[-1][2] + [edit])
        else:
            groups.append((first, last, [edit]))
    return groups


def _hunk_rows(first: int, last: int, edits: Sequence[Edit], index: LineIndex, lines: List[str], shift: int) -> Tuple[List[Row], int]:
    """The rows of one hunk, and the line shift it adds for the hunks after it."""
    region_start, region_end = index.line_start(first), index.next_line_start(last)
    local = [type(e)(e.start - region_start, e.end - region_start, e.content) for e in edits]
    old_region = index.text[region_start:region_end]
    old = [line.rstrip("\r\n") for line in old_region.splitlines(keepends=True)]
    new = [line.rstrip("\r\n") for line in apply_edits(old_region, local).splitlines(keepends=True)]
    rows: List[Row] = [(n, n + shift, " ", lines[n - 1]) for n in range(max(1, first - FIX_CONTEXT), first)]
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend((first + i, first + j + shift, " ", old[i]) for i, j in zip(range(i1, i2), range(j1, j2)))
            continue
        rows.extend((first + i, None, "-", old[i]) for i in range(i1, i2))
        rows.extend((None, first + j + shift, "+", new[j]) for j in range(j1, j2))
    shift += len(new) - len(old)
    rows.extend((n, n + shift, " ", lines[n - 1]) for n in range(last + 1, min(len(lines), last + FIX_CONTEXT) + 1))
    return rows, shift


def _fix_diff(diagnostic: Diagnostic, text_for: TextFor, style: Style) -> List[str]:
    """The lines each edit of the fix changes, hunk by hunk, with old and new line numbers."""
    out: List[str] = []
    by_cell: dict = {}
    for cell, edit in diagnostic.located_edits():
        by_cell.setdefault(cell, []).append(edit)
    for cell, edits in by_cell.items():
        index = LineIndex(text_for(cell))
        lines = _lines(index)
        rows: List[Optional[Row]] = []
        shift = 0
        for first, last, group in _hunks(edits, index):
            hunk, shift = _hunk_rows(first, last, group, index, lines, shift)
            if rows:
                rows.append(None)  # a gap between hunks
            rows.extend(hunk)
        if len(by_cell) > 1:  # a notebook fix across cells: say which cell each part is in
            out.append(f"    cell {cell}:")
        out.extend(_render_rows(rows, style))
    return out


def _render_rows(rows: Sequence[Optional[Row]], style: Style) -> List[str]:
    width = max((len(str(n)) for row in rows if row for n in row[:2] if n is not None), default=1)
    out = []
    for row in rows:
        if row is None:
            out.append(f"    {' ' * width} {' ' * width} {style(':', fg='blue', bold=True)}")
            continue
        old_number, new_number, sign, text = row
        left = f"{old_number:>{width}}" if old_number is not None else " " * width
        right = f"{new_number:>{width}}" if new_number is not None else " " * width
        body = f"{sign} {text}".rstrip() if sign != " " else f"  {text}".rstrip()
        colour = {"-": "red", "+": "green"}.get(sign)
        gutter = style(f"{left} {right} |", fg="blue", bold=True)
        out.append(f"    {gutter} {style(body, fg=colour) if colour else body}".rstrip())
    return out


_SAFETY = {
    Applicability.SAFE: "safe",
    Applicability.UNSAFE: "unsafe, with `--unsafe-fixes`",
    Applicability.DISPLAY_ONLY: "display only, never applied",
}


def format_full(diagnostic: Diagnostic, text: Union[str, TextFor], color: bool, applicable: bool = True) -> str:
    """One finding, as several lines (ending with a blank line). ``text`` is the
    text its positions refer to, or a function giving that text for a cell."""
    text_for: TextFor = (lambda cell: text) if isinstance(text, str) else text
    style = _styler(color)
    lines = _lines(LineIndex(text_for(diagnostic.cell)))
    span = diagnostic.span
    width = len(str(min(len(lines), span.end_line + CONTEXT_LINES) or 1))
    out = [format_concise(diagnostic, color, applicable)]
    if lines and span.line <= len(lines):
        out.extend(_source_block(span, lines, width, style))
    note = style(" " * width + " =", fg="blue", bold=True)
    out.append(f"{note} rule: {diagnostic.name} ({rule_url(diagnostic.code)})")
    reason = _why(diagnostic.code)
    if reason:
        out.append(f"{note} why: {reason}")
    fix = diagnostic.fix
    if fix is not None:
        out.append(f"{note} fix ({_SAFETY[fix.applicability]}): {fix.title}")
        out.append("")
        out.extend(_fix_diff(diagnostic, text_for, style))
    out.append("")
    return "\n".join(out) + "\n"


def format_full_error(error: FileError, text: str, color: bool) -> str:
    """A file that could not be linted: its line, and the source where Python points."""
    out = [format_error(error, color)]
    lines = _lines(LineIndex(text)) if text else []
    if error.line and error.line <= len(lines):
        column = error.column or 1
        span = Span(error.line, column, error.line, column + 1, 0, 0)
        out.extend(_source_block(span, lines, len(str(min(len(lines), error.line + CONTEXT_LINES))), _styler(color)))
    out.append("")
    return "\n".join(out) + "\n"


def write_full(report: RunReport, out: TextIO, color: bool) -> None:
    files = {file.path: file for file in report.files}
    for entry in entries(report):
        file = files[entry.path]
        if isinstance(entry, FileError):
            out.write(format_full_error(entry, file.text_for(entry.cell) if file.text else "", color))
        else:
            out.write(format_full(entry, file.text_for, color, report.applicable(entry)))
