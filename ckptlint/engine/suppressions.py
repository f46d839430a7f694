"""Suppression comments, exactly as the catalog's "Selection and suppression" says.

- `# noqa` suppresses everything on its line; `# noqa: CKPT201,CKPT202` those
  codes. Codes that are not `CKPTnnn` belong to other tools and are ignored;
  a `# noqa:` followed by no code at all (a rule name, say) suppresses
  nothing, since names are accepted only in `# ckptlint:` comments.
- `# ckptlint: disable=CODE[,NAME...]` after code applies to that line; on a
  line of its own it applies until the end of the enclosing block or a
  `# ckptlint: enable=...` for the same rule.
- `# ckptlint: disable-next=CODE` applies to the next line.
- `# ckptlint: noqa` in the module's first comment block disables the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple

from ckptlint.diagnostics import Diagnostic
from ckptlint.rules.info import find_info
from ckptlint.semantic.core.comments import Comment

_NOQA = re.compile(r"#\s*noqa(?P<colon>\s*:\s*(?P<rest>.*))?", re.IGNORECASE)
_CODE = re.compile(r"^[A-Z]+[0-9]+$")
_DIRECTIVE = re.compile(
    r"#\s*ckptlint\s*:\s*(?P<action>disable-next|disable|enable|noqa)\b"
    r"(?:\s*=\s*(?P<items>[\w-]+(?:\s*,\s*[\w-]+)*))?",
    re.IGNORECASE,
)

ALL = "*"


def parse_noqa(comment: str) -> Optional[FrozenSet[str]]:
    """Codes a `# noqa` comment suppresses (``{ALL}`` for a bare one), else None."""
    match = _NOQA.search(comment)
    if match is None:
        return None
    if match.group("colon") is None:
        return frozenset({ALL})
    codes = []
    for token in re.split(r"[\s,]+", match.group("rest").strip()):
        if not _CODE.match(token):
            break
        codes.append(token)
    if not codes:
        return None  # `# noqa:` with no code: not a valid directive
    return frozenset(code for code in codes if code.startswith("CKPT"))


def parse_directives(comment: str) -> List[Tuple[str, FrozenSet[str]]]:
    """`(action, codes)` for each `# ckptlint:` directive in a comment."""
    found = []
    for match in _DIRECTIVE.finditer(comment):
        action = match.group("action").lower()
        codes = set()
        for item in (match.group("items") or "").split(","):
            rule = find_info(item.strip()) if item.strip() else None
            if rule is not None:
                codes.add(rule.code)
        found.append((action, frozenset(codes)))
    return found


@dataclass
class Suppressions:
    """Which (line, code) pairs are suppressed in one file."""

    file_disabled: bool = False
    by_line: Dict[int, FrozenSet[str]] = field(default_factory=dict)
    # (code, first line, last line) of block-scoped `disable` comments
    ranges: List[Tuple[str, int, int]] = field(default_factory=list)

    @classmethod
    def from_comments(cls, comments: Sequence[Comment]) -> "Suppressions":
        result = cls()
        enables: List[Tuple[str, int]] = []
        disables: List[Tuple[str, Comment]] = []
        for comment in comments:
            noqa = parse_noqa(comment.text)
            if noqa:
                result._add_line(comment.line, noqa)
            for action, codes in parse_directives(comment.text):
                if action == "noqa" and comment.in_header:
                    result.file_disabled = True
                elif action == "disable-next":
                    result._add_line(comment.line + 1, codes)
                elif action == "disable" and not comment.own_line:
                    result._add_line(comment.line, codes)
                elif action == "disable":
                    disables.extend((code, comment) for code in codes)
                elif action == "enable":
                    enables.extend((code, comment.line) for code in codes)
        for code, comment in disables:
            end = comment.block_end_line
            for enabled_code, line in enables:
                if enabled_code == code and comment.line < line <= end:
                    end = line - 1
            result.ranges.append((code, comment.line, end))
        return result

    def _add_line(self, line: int, codes: FrozenSet[str]) -> None:
        self.by_line[line] = self.by_line.get(line, frozenset()) | codes

    def suppresses(self, diagnostic: Diagnostic) -> bool:
        if self.file_disabled:
            return True
        line = diagnostic.noqa_line or diagnostic.span.line
        codes = self.by_line.get(line, frozenset())
        if ALL in codes or diagnostic.code in codes:
            return True
        return any(code == diagnostic.code and first <= line <= last for code, first, last in self.ranges)
