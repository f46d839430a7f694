"""The full text format: each finding with its source, a caret line, why it
matters and its fix as a small diff (ruff's `full` output, in plain ASCII).

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
```

Format only: the source lines come from `FileReport.text` (the text the
findings refer to), the sentence from the rule's documentation.
"""

from __future__ import annotations

import difflib
from typing import Callable, List, Optional, TextIO, Tuple

import click

from ckptlint.api import RunReport
from ckptlint.diagnostics import Diagnostic
from ckptlint.fixes.model import Applicability, Fix, apply_edits
from ckptlint.links import rule_url
from ckptlint.reporters.text import format_concise
from ckptlint.semantic.core.positions import LineIndex

CONTEXT_LINES = 1  # lines shown before and after the finding and the fix
MAX_SPAN_LINES = 6  # longer findings show their first and last lines only

Style = Callable[..., str]


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


def _caret_range(line_text: str, number: int, diagnostic: Diagnostic) -> Tuple[int, int]:
    """0-based [start, end) columns to underline on line ``number``."""
    span = diagnostic.span
    start = span.column - 1 if number == span.line else len(line_text) - len(line_text.lstrip())
    end = span.end_column - 1 if number == span.end_line else len(line_text.rstrip())
    return start, max(end, start + 1)


def _source_block(diagnostic: Diagnostic, lines: List[str], width: int, style: Style) -> List[str]:
    span = diagnostic.span
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
        start, end = _caret_range(line_text, number, diagnostic)
        out.append(gutter + " " + " " * start + style("^" * (end - start), fg="red", bold=True))
    for number in range(span.end_line + 1, last_line + 1):
        out.append(numbered(number))
    out.append(gutter)
    return out


def _fix_diff(fix: Fix, index: LineIndex, lines: List[str], style: Style) -> List[str]:
    """The lines a fix changes, with their old and new line numbers."""
    first = index.line_of(fix.start)
    last = index.line_of(max(fix.end - 1, fix.start))
    region_start, region_end = index.line_start(first), index.next_line_start(last)
    local = [type(e)(e.start - region_start, e.end - region_start, e.content) for e in fix.edits]
    old_region = index.text[region_start:region_end]
    new_region = apply_edits(old_region, local)
    old = [line.rstrip("\r\n") for line in old_region.splitlines(keepends=True)]
    new = [line.rstrip("\r\n") for line in new_region.splitlines(keepends=True)]
    before = list(range(max(1, first - CONTEXT_LINES), first))
    after = list(range(last + 1, min(len(lines), last + CONTEXT_LINES) + 1))
    rows: List[Tuple[Optional[int], Optional[int], str, str]] = []
    for number in before:
        rows.append((number, number, " ", lines[number - 1]))
    shift = 0
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend((first + i, first + j, " ", old[i]) for i, j in zip(range(i1, i2), range(j1, j2)))
            continue
        rows.extend((first + i, None, "-", old[i]) for i in range(i1, i2))
        rows.extend((None, first + j, "+", new[j]) for j in range(j1, j2))
    shift = len(new) - len(old)
    for number in after:
        rows.append((number, number + shift, " ", lines[number - 1]))
    width = max(len(str(n)) for row in rows for n in row[:2] if n is not None)
    out = []
    for old_number, new_number, sign, text in rows:
        left = f"{old_number:>{width}}" if old_number is not None else " " * width
        right = f"{new_number:>{width}}" if new_number is not None else " " * width
        body = f"{sign} {text}".rstrip() if sign != " " else f"  {text}".rstrip()
        colour = {"-": "red", "+": "green"}.get(sign)
        gutter = style(f"{left} {right} |", fg="blue", bold=True)
        out.append(f"    {gutter} {style(body, fg=colour) if colour else body}".rstrip())
    return out


def format_full(diagnostic: Diagnostic, text: str, color: bool) -> str:
    """One finding, as several lines (ending with a blank line)."""
    style = _styler(color)
    index = LineIndex(text)
    lines = _lines(index)
    span = diagnostic.span
    width = len(str(min(len(lines), span.end_line + CONTEXT_LINES) or 1))
    out = [format_concise(diagnostic, color)]
    if lines and span.line <= len(lines):
        out.extend(_source_block(diagnostic, lines, width, style))
    note = style(" " * width + " =", fg="blue", bold=True)
    out.append(f"{note} rule: {diagnostic.name} ({rule_url(diagnostic.code)})")
    reason = _why(diagnostic.code)
    if reason:
        out.append(f"{note} why: {reason}")
    fix = diagnostic.fix
    if fix is not None:
        safety = {
            Applicability.SAFE: "safe",
            Applicability.UNSAFE: "unsafe, with `--unsafe-fixes`",
            Applicability.DISPLAY_ONLY: "display only, never applied",
        }[fix.applicability]
        out.append(f"{note} fix ({safety}): {fix.title}")
        out.append("")
        out.extend(_fix_diff(fix, index, lines, style))
    out.append("")
    return "\n".join(out) + "\n"


def write_full(report: RunReport, out: TextIO, color: bool) -> None:
    for file in sorted(report.files, key=lambda f: f.path):
        texts = file.cell_texts or {}
        for diagnostic in sorted(file.diagnostics, key=Diagnostic.sort_key):
            out.write(format_full(diagnostic, texts.get(diagnostic.path, file.text or ""), color))
