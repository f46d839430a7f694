"""`--add-noqa`: write `# noqa: CODE` on every line that has a finding.

The comment goes on the finding's noqa line (its anchor: the first line of
a multi-line call), and merges with a `# noqa: ...` already there. A line
whose end is inside a multi-line string, or that continues with a
backslash, cannot take a comment: it is skipped and reported.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Set, Tuple

from ckptlint.diagnostics import Diagnostic
from ckptlint.semantic.core.positions import LineIndex

# Codes never added: a noqa for an unused suppression would itself be unused.
NEVER_ADDED = frozenset({"CKPT001"})

_NOQA_CODES = re.compile(
    r"#\s*noqa\s*:\s*[A-Z]+[0-9]+(?:(?:\s*,\s*|\s+)[A-Z]+[0-9]+)*", re.IGNORECASE
)
_BARE_NOQA = re.compile(r"#\s*noqa(?!\s*:)", re.IGNORECASE)


@dataclass
class NoqaResult:
    text: str
    added: int = 0  # codes written
    skipped: List[Tuple[int, str]] = field(default_factory=list)  # (line, reason)


def _unsafe_lines(text: str) -> Dict[int, str]:
    """Lines whose end cannot take a comment, with the reason."""
    unsafe: Dict[int, str] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.STRING and token.end[0] > token.start[0]:
                for line in range(token.start[0], token.end[0]):
                    unsafe[line] = "the line ends inside a multi-line string"
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass  # the runner reports unparsable files; write nothing odd here
    return unsafe


def _comments(text: str) -> Dict[int, int]:
    """Column where each line's comment starts (tokenize knows strings from comments)."""
    found: Dict[int, int] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                found[token.start[0]] = token.start[1]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return found


def add_noqa(text: str, diagnostics: Sequence[Diagnostic]) -> NoqaResult:
    """``text`` with a `# noqa` for every finding in ``diagnostics``."""
    wanted: Dict[int, Set[str]] = {}
    for diagnostic in diagnostics:
        if diagnostic.code in NEVER_ADDED:
            continue
        wanted.setdefault(diagnostic.noqa_line or diagnostic.span.line, set()).add(diagnostic.code)
    result = NoqaResult(text)
    if not wanted:
        return result
    index = LineIndex(text)
    unsafe = _unsafe_lines(text)
    comments = _comments(text)
    pieces: List[Tuple[int, int, str]] = []  # (start, end, replacement), offsets into text
    for line, codes in sorted(wanted.items()):
        start = index.line_start(line)
        end = index.next_line_start(line)
        raw = text[start:end]
        content = raw.rstrip("\r\n")
        if line in unsafe:
            result.skipped.append((line, unsafe[line]))
            continue
        if content.rstrip().endswith("\\") and line not in comments:
            result.skipped.append((line, "the line continues with a backslash"))
            continue
        ordered = sorted(codes)
        column = comments.get(line, -1)
        comment = content[column:] if column >= 0 else ""
        match = _NOQA_CODES.search(comment)
        if match is not None:
            present = {c.upper() for c in re.findall(r"[A-Z]+[0-9]+", match.group(0), re.IGNORECASE)}
            missing = [c for c in ordered if c not in present]
            if missing:
                at = start + column + match.end()
                pieces.append((at, at, "".join(f", {c}" for c in missing)))
                result.added += len(missing)
            continue
        if _BARE_NOQA.search(comment):
            continue  # already suppresses everything on the line
        stripped = content.rstrip()
        at = start + len(stripped)
        pieces.append((at, start + len(content), f"  # noqa: {', '.join(ordered)}"))
        result.added += len(ordered)
    out, cursor = [], 0
    for begin, finish, replacement in pieces:
        out.append(text[cursor:begin])
        out.append(replacement)
        cursor = finish
    out.append(text[cursor:])
    result.text = "".join(out)
    return result
