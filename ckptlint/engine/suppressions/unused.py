"""Suppressions that suppress nothing (CKPT001) or name no rule (CKPT002).

The runner calls `check_suppressions` with the findings of the rules that
ran, before suppressions are applied, and the codes of those rules (`ran`:
plain data). Each suppression entry (one code in one directive) is used
when it covers one of those findings:

1. entries for pitfall rules (and CKPT002) are matched against the findings;
2. the CKPT001 findings this gives are themselves suppressible: a comment
   that lists `CKPT001` keeps its other codes (ruff's self-ignore);
3. a `CKPT001` entry that kept nothing is reported too, and that report is
   not suppressible by CKPT001 entries (that would never end).

Only codes of rules that ran are reported unused: a code of an opt-in rule
that CI enables may sit in a file linted locally without it. A bare
`# noqa`, the file-level `# ckptlint: noqa` and codes of other tools are
never reported.
"""

from __future__ import annotations

from typing import FrozenSet, List, Sequence

from ckptlint.diagnostics import Diagnostic, Span
from ckptlint.engine.suppressions.apply import Suppressions
from ckptlint.engine.suppressions.directives import FileDirectives, Item, Placed
from ckptlint.fixes.model import Applicability, Edit, Fix
from ckptlint.rules.table import find_info
from ckptlint.semantic.core.positions import LineIndex

UNUSED, UNKNOWN = "CKPT001", "CKPT002"
META_CODES = frozenset({UNUSED, UNKNOWN})


def _used(placed: Placed, code: str, findings: Sequence[Diagnostic]) -> bool:
    return any(d.code == code and placed.covers(code, d.noqa_line or d.span.line) for d in findings)


def _span(index: LineIndex, start: int, end: int) -> Span:
    line = index.line_of(start)
    column = start - index.line_start(line) + 1
    return Span(line, column, line, column + (end - start), start, end)


def _removal(placed: Placed, unused: Sequence[Item], index: LineIndex) -> Edit:
    """The edit that drops ``unused`` from the directive (or the directive, or its line)."""
    directive = placed.directive
    kept = [item for item in directive.items if item not in unused]
    if kept:
        first, last = directive.items[0], directive.items[-1]
        separator = index.text[first.end : directive.items[1].start] if len(directive.items) > 1 else ", "
        return Edit(first.start, last.end, separator.join(item.text for item in kept))
    starts_comment = directive.start == placed.comment_start
    if starts_comment and placed.comment.own_line:
        line = placed.comment.line
        return Edit(index.line_start(line), index.next_line_start(line), "")
    line_start = index.line_start(placed.comment.line)
    start = line_start + len(index.text[line_start : directive.start].rstrip())
    return Edit(start, placed.comment_end if starts_comment else directive.end, "")


def _unused_finding(path: str, placed: Placed, unused: Sequence[Item], index: LineIndex) -> Diagnostic:
    names = ", ".join(f"`{item.text}`" for item in unused)
    rule = find_info(UNUSED).load()  # type: ignore[union-attr]  # it ran: already imported
    fix = Fix((_removal(placed, unused, index),), Applicability.SAFE, rule.fix_title or "")
    return Diagnostic(
        path=path,
        code=UNUSED,
        name=rule.name,
        message=f"Unused suppression ({names})",
        span=_span(index, placed.directive.start, placed.directive.end),
        fix=fix,
        noqa_line=placed.comment.line,
    )


def _unknown_finding(path: str, item: Item, index: LineIndex) -> Diagnostic:
    name = find_info(UNKNOWN).name  # type: ignore[union-attr]
    return Diagnostic(
        path, UNKNOWN, name, f"Unknown rule `{item.text}` in suppression",
        _span(index, item.start, item.end), None, index.line_of(item.start),
    )


def check_suppressions(
    path: str,
    text: str,
    directives: FileDirectives,
    findings: Sequence[Diagnostic],
    ran: FrozenSet[str],
    suppressions: Suppressions,
) -> List[Diagnostic]:
    """CKPT001/CKPT002 findings for ``directives`` (before suppression is applied to them)."""
    if suppressions.exempt or not (ran & META_CODES):
        return []
    index = LineIndex(text)
    unknown = [_unknown_finding(path, item, index) for item in directives.unknown] if UNKNOWN in ran else []
    unknown_kept = [d for d in unknown if not suppressions.suppresses(d)]
    if UNUSED not in ran:
        return unknown_kept
    raw = list(findings) + unknown
    first_round = []  # 1. entries of the rules that ran, matched against their findings
    for placed in directives.placed:
        unused = [
            item for item in placed.directive.items
            if item.code not in (None, UNUSED) and item.code in ran and not _used(placed, item.code, raw)
        ]
        if unused:
            first_round.append(_unused_finding(path, placed, unused, index))
    kept = [d for d in first_round if not suppressions.suppresses(d)]  # 2.
    second_round = []  # 3. CKPT001 entries that kept nothing quiet
    for placed in directives.placed:
        mine = [item for item in placed.directive.items if item.code == UNUSED]
        if mine and not _used(placed, UNUSED, first_round):
            second_round.append(_unused_finding(path, placed, mine, index))
    return unknown_kept + kept + second_round
