"""Suppressions that suppress nothing (CKPT001) or name no rule (CKPT002).

The runner calls `check_suppressions` with the findings of the rules that
ran, before suppressions are applied. Each suppression entry (one code in
one comment) is used when it covers one of those findings:

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

import re
from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple, Type

from ckptlint.diagnostics import Diagnostic, Span
from ckptlint.engine.suppressions import Suppressions
from ckptlint.fixes.model import Applicability, Edit, Fix
from ckptlint.rules.base import Rule
from ckptlint.rules.info import find_info
from ckptlint.semantic.core.comments import Comment
from ckptlint.semantic.core.positions import LineIndex

UNUSED, UNKNOWN = "CKPT001", "CKPT002"
META_CODES = frozenset({UNUSED, UNKNOWN})

_NOQA = re.compile(r"#\s*noqa\s*:\s*", re.IGNORECASE)
_CODE = re.compile(r"[A-Za-z]+[0-9]+")
_DIRECTIVE = re.compile(
    r"#\s*ckptlint\s*:\s*(?P<action>disable-next|disable|enable|noqa)\b"
    r"(?:\s*=\s*(?P<items>[\w-]+(?:\s*,\s*[\w-]+)*))?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Item:
    text: str
    start: int  # offsets into the file's text
    end: int
    code: Optional[str]  # the rule code it names; None: another tool's code, or unknown


@dataclass(frozen=True)
class Directive:
    """One `# noqa: ...` or `# ckptlint: action=...` inside one comment."""

    comment: Comment
    action: str  # "noqa", "disable", "disable-next", "disable-block"
    start: int
    end: int
    comment_start: int
    comment_end: int
    items: Tuple[Item, ...]
    covers: Tuple[int, int]  # the lines its codes apply to

    def ours(self) -> List[Item]:
        return [item for item in self.items if item.code is not None]


def _comment_offsets(comment: Comment, index: LineIndex) -> Tuple[int, int]:
    start, end = index.line_start(comment.line), index.next_line_start(comment.line)
    line = index.text[start:end].rstrip("\r\n")
    column = line.rfind(comment.text)
    return start + max(column, 0), start + max(column, 0) + len(comment.text)


def parse_comment_directives(
    comments: Sequence[Comment], index: LineIndex
) -> Tuple[List[Directive], List[Item]]:
    """Every suppression directive with positions, and the unknown items."""
    directives: List[Directive] = []
    unknown: List[Item] = []
    enables: List[Tuple[str, int]] = []
    blocks: List[Tuple[Comment, int, int, int, int, Tuple[Item, ...]]] = []
    for comment in comments:
        begin, finish = _comment_offsets(comment, index)
        text = comment.text
        noqa = _NOQA.search(text)
        if noqa is not None:
            items = []
            cursor = noqa.end()
            for match in re.finditer(r"[^\s,]+", text[cursor:]):
                token = match.group(0)
                if not re.fullmatch(r"[A-Z]+[0-9]+", token):
                    break
                item_start = begin + cursor + match.start()
                if token.startswith("CKPT"):
                    known = token if find_info(token) is not None else None
                    item = Item(token, item_start, item_start + len(token), known)
                    if known is None:
                        unknown.append(item)
                    items.append(item)
                else:
                    items.append(Item(token, item_start, item_start + len(token), None))
            if items:
                end = items[-1].end
                directives.append(
                    Directive(comment, "noqa", begin + noqa.start(), end, begin, finish, tuple(items), (comment.line, comment.line))
                )
        for match in _DIRECTIVE.finditer(text):
            action = match.group("action").lower()
            if action == "noqa" or match.group("items") is None:
                continue
            items_start = match.start("items")
            items = []
            for item_match in re.finditer(r"[\w-]+", match.group("items")):
                name = item_match.group(0)
                rule = find_info(name)
                item_start = begin + items_start + item_match.start()
                item = Item(name, item_start, item_start + len(name), rule.code if rule else None)
                if rule is None:
                    unknown.append(item)
                items.append(item)
            if action == "enable":
                enables.extend((item.code, comment.line) for item in items if item.code)
                continue
            start, end = begin + match.start(), begin + match.end()
            if action == "disable-next":
                covers = (comment.line + 1, comment.line + 1)
            elif action == "disable" and not comment.own_line:
                covers = (comment.line, comment.line)
            else:
                blocks.append((comment, start, end, begin, finish, tuple(items)))
                continue
            directives.append(Directive(comment, action, start, end, begin, finish, tuple(items), covers))
    for comment, start, end, begin, finish, items in blocks:
        last = comment.block_end_line
        codes = {item.code for item in items if item.code}
        for code, line in enables:
            if code in codes and comment.line < line <= last:
                last = line - 1
        directives.append(Directive(comment, "disable-block", start, end, begin, finish, items, (comment.line, last)))
    return directives, unknown


def _covered(directive: Directive, code: str, diagnostics: Sequence[Diagnostic]) -> bool:
    first, last = directive.covers
    return any(d.code == code and first <= (d.noqa_line or d.span.line) <= last for d in diagnostics)


def _span(index: LineIndex, start: int, end: int) -> Span:
    line = index.line_of(start)
    column = start - index.line_start(line) + 1
    return Span(line, column, line, column + (end - start), start, end)


def _removal(directive: Directive, unused: Sequence[Item], index: LineIndex) -> Edit:
    """The edit that drops ``unused`` from the directive (or the directive, or its line)."""
    kept = [item for item in directive.items if item not in unused]
    if kept:
        first, last = directive.items[0], directive.items[-1]
        separator = index.text[first.end : directive.items[1].start] if len(directive.items) > 1 else ", "
        return Edit(first.start, last.end, separator.join(item.text for item in kept))
    text = index.text
    if directive.start == directive.comment_start and directive.comment.own_line:
        line = directive.comment.line
        return Edit(index.line_start(line), index.next_line_start(line), "")
    line_start = index.line_start(directive.comment.line)
    before = text[line_start : directive.start]
    start = line_start + len(before.rstrip())
    end = directive.comment_end if directive.start == directive.comment_start else directive.end
    return Edit(start, end, "")


def _unused_diagnostic(path: str, directive: Directive, unused: Sequence[Item], index: LineIndex) -> Diagnostic:
    names = ", ".join(f"`{item.text}`" for item in unused)
    rule = find_info(UNUSED).load()  # type: ignore[union-attr]
    fix = Fix((_removal(directive, unused, index),), Applicability.SAFE, rule.fix_title or "")
    return Diagnostic(
        path=path,
        code=UNUSED,
        name=rule.name,
        message=f"Unused suppression ({names})",
        span=_span(index, directive.start, directive.end),
        fix=fix,
        noqa_line=directive.comment.line,
    )


def check_suppressions(
    path: str,
    text: str,
    comments: Sequence[Comment],
    findings: Sequence[Diagnostic],
    ran: FrozenSet[str],
    suppressions: Suppressions,
) -> List[Diagnostic]:
    """CKPT001/CKPT002 findings for ``comments`` (before suppression is applied to them)."""
    if suppressions.file_disabled or not (ran & META_CODES):
        return []
    index = LineIndex(text)
    directives, unknown = parse_comment_directives(comments, index)
    out: List[Diagnostic] = []
    if UNKNOWN in ran:
        rule = find_info(UNKNOWN)
        for item in unknown:
            out.append(
                Diagnostic(path, UNKNOWN, rule.name, f"Unknown rule `{item.text}` in suppression",
                           _span(index, item.start, item.end), None, index.line_of(item.start))
            )
    if UNUSED not in ran:
        return [d for d in out if not suppressions.suppresses(d)]
    raw = list(findings) + out
    # 1. entries of the rules that ran, matched against their findings
    candidates: List[Tuple[Directive, List[Item]]] = []
    for directive in directives:
        unused = [
            item for item in directive.ours()
            if item.code != UNUSED and item.code in ran and not _covered(directive, item.code, raw)
        ]
        if unused:
            candidates.append((directive, unused))
    first_round = [_unused_diagnostic(path, d, items, index) for d, items in candidates]
    kept = [d for d in first_round if not suppressions.suppresses(d)]
    # 3. CKPT001 entries that kept nothing quiet
    second_round = []
    for directive in directives:
        mine = [item for item in directive.ours() if item.code == UNUSED]
        if mine and not _covered(directive, UNUSED, first_round):
            second_round.append(_unused_diagnostic(path, directive, mine, index))
    unknown_kept = [d for d in out if not suppressions.suppresses(d)]
    return unknown_kept + kept + second_round


def usage_only(rule: Type[Rule]) -> Type[Rule]:
    """A copy of ``rule`` whose findings only show which suppressions are used."""
    if rule not in _USAGE_ONLY:
        _USAGE_ONLY[rule] = type(rule.__name__, (rule,), {"usage_only": True, "__doc__": rule.__doc__})
    return _USAGE_ONLY[rule]


_USAGE_ONLY: Dict[Type[Rule], Type[Rule]] = {}


def with_usage_rules(rules: Sequence[Type[Rule]], configured: Sequence[Type[Rule]]) -> List[Type[Rule]]:
    """``rules`` (an explicit choice, as tests make) plus, when CKPT001 is among
    them, the file's configured rules in usage-only form: whether a
    `# noqa: CKPT201` is used depends on CKPT201's findings even when only
    CKPT001's are wanted."""
    chosen = list(rules)
    if not any(rule.code == UNUSED for rule in chosen):
        return chosen
    codes = {rule.code for rule in chosen}
    return chosen + [usage_only(rule) for rule in configured if rule.code not in codes and rule.code not in META_CODES]
