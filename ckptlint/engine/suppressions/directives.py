"""The suppression-comment grammar, lexed in one place.

The catalog's "Selection and suppression" section defines two families:

- `# noqa` (bare: every finding on its line) and `# noqa: CODE[, CODE...]`.
  Codes are upper-case letters then digits, separated by commas or spaces;
  the list ends at the first word that is not a code. Codes that do not start
  with `CKPT` belong to other tools. A `# noqa:` followed by no code at all
  (a rule name, say) is no directive: names are accepted only in
  `# ckptlint:` comments.
- `# ckptlint: ACTION[=ITEM[,ITEM...]]`, ACTION one of `disable`,
  `disable-next`, `enable` or `noqa`, each ITEM a code (any case) or a rule
  name. After code, `disable` applies to its line; on a line of its own it
  lasts until the end of the enclosing block or an `enable` of the same rule.
  `disable-next` applies to the next line, and `noqa` in the module's first
  comment block exempts the whole file.

`lex` reads one comment's text; `read_file` places the directives of a
module's comments in the file (offsets, the lines each code covers). Applying
suppressions (`apply.py`), reporting unused ones (`unused.py`) and writing
`# noqa` comments (`writer.py`) all read what these two return.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Tuple

from ckptlint.rules.table import find_info
from ckptlint.semantic.core.positions import LineIndex

if TYPE_CHECKING:  # comments come from the model (libcst); lexing needs no parser
    from ckptlint.semantic.core.comments import Comment

_NOQA = re.compile(r"#\s*noqa(?P<colon>\s*:\s*)?", re.IGNORECASE)
_NOQA_CODE = re.compile(r"[A-Z]+[0-9]+")
_WORD = re.compile(r"[^\s,]+")
_DIRECTIVE = re.compile(
    r"#\s*ckptlint\s*:\s*(?P<action>disable-next|disable|enable|noqa)\b"
    r"(?:\s*=\s*(?P<items>[\w-]+(?:\s*,\s*[\w-]+)*))?",
    re.IGNORECASE,
)
_ITEM = re.compile(r"[\w-]+")

NOQA, DISABLE, DISABLE_NEXT, ENABLE, FILE = "noqa", "disable", "disable-next", "enable", "file"


@dataclass(frozen=True)
class Item:
    """One code or rule name in a directive."""

    text: str
    start: int  # offsets into the text the directive was read from
    end: int
    code: Optional[str]  # the ckptlint rule it names; None: unknown, or another tool's
    foreign: bool = False  # another tool's code (`E501` in a `# noqa:` list)

    @property
    def unknown(self) -> bool:
        return self.code is None and not self.foreign


@dataclass(frozen=True)
class Directive:
    """One `# noqa...` or `# ckptlint: ...` inside one comment."""

    action: str  # NOQA, DISABLE, DISABLE_NEXT, ENABLE or FILE (`# ckptlint: noqa`)
    start: int
    end: int
    items: Tuple[Item, ...] = ()
    bare: bool = False  # a `# noqa` without a code list: every code

    @property
    def codes(self) -> Tuple[str, ...]:
        """The ckptlint rules it names."""
        return tuple(item.code for item in self.items if item.code is not None)


def lex(comment: str, base: int = 0) -> List[Directive]:
    """The directives in ``comment`` (the text from `#` to the line end), with
    offsets shifted by ``base``. Only the first `# noqa` of a comment counts."""
    found: List[Directive] = []
    noqa = _lex_noqa(comment, base)
    if noqa is not None:
        found.append(noqa)
    for match in _DIRECTIVE.finditer(comment):
        action = match.group("action").lower()
        items: Tuple[Item, ...] = ()
        if match.group("items") is not None:
            offset = base + match.start("items")
            items = tuple(_named_item(word, offset) for word in _ITEM.finditer(match.group("items")))
        found.append(Directive(FILE if action == NOQA else action, base + match.start(), base + match.end(), items))
    return found


def _lex_noqa(comment: str, base: int) -> Optional[Directive]:
    match = _NOQA.search(comment)
    if match is None:
        return None
    if match.group("colon") is None:
        if comment[match.end() : match.end() + 1].isalnum():
            return None  # `# noqanything` is a word, not a directive
        return Directive(NOQA, base + match.start(), base + match.end(), bare=True)
    items = []
    for word in _WORD.finditer(comment, match.end()):
        if not _NOQA_CODE.fullmatch(word.group()):
            break
        items.append(_noqa_item(word.group(), base + word.start()))
    if not items:
        return None  # `# noqa:` with no code is not a directive
    return Directive(NOQA, base + match.start(), items[-1].end, tuple(items))


def _noqa_item(code: str, start: int) -> Item:
    if not code.startswith("CKPT"):
        return Item(code, start, start + len(code), None, foreign=True)
    known = find_info(code)
    return Item(code, start, start + len(code), known.code if known is not None else None)


def _named_item(word: "re.Match[str]", offset: int) -> Item:
    rule = find_info(word.group())
    start = offset + word.start()
    return Item(word.group(), start, start + len(word.group()), rule.code if rule is not None else None)


@dataclass(frozen=True)
class Placed:
    """A directive at its place in a file: the comment it sits in and the
    lines each of its codes covers."""

    directive: Directive  # offsets into the file's text
    comment: "Comment"
    comment_start: int
    comment_end: int
    first: int  # the lines it covers
    last: int
    # A block `disable` ends early, per code, at an `enable` of that code.
    last_by_code: Dict[str, int] = field(default_factory=dict)

    def covers(self, code: str, line: int) -> bool:
        return self.first <= line <= self.last_by_code.get(code, self.last)


@dataclass
class FileDirectives:
    """Every suppression directive of one file (`enable`s folded into the
    blocks they end), whether the file is exempt, and the unknown items."""

    placed: List[Placed] = field(default_factory=list)
    exempt: bool = False
    unknown: List[Item] = field(default_factory=list)


def comment_offsets(comment: "Comment", index: LineIndex) -> Tuple[int, int]:
    """Where ``comment`` lies in the text (the comment ends its line)."""
    start, end = index.line_start(comment.line), index.next_line_start(comment.line)
    line = index.text[start:end].rstrip("\r\n")
    column = max(line.rfind(comment.text), 0)
    return start + column, start + column + len(comment.text)


def read_file(comments: "Sequence[Comment]", text: str) -> FileDirectives:
    """The directives of a module whose comments are ``comments``."""
    index = LineIndex(text)
    result = FileDirectives()
    blocks: List[Placed] = []
    enables: List[Tuple[str, int]] = []
    for comment in comments:
        begin, finish = comment_offsets(comment, index)
        for directive in lex(comment.text, begin):
            result.unknown.extend(item for item in directive.items if item.unknown)
            if directive.action == FILE:
                result.exempt = result.exempt or comment.in_header
                continue
            if directive.action == ENABLE:
                enables.extend((code, comment.line) for code in directive.codes)
                continue
            first = last = comment.line
            if directive.action == DISABLE_NEXT:
                first = last = comment.line + 1
            elif directive.action == DISABLE and comment.own_line:
                last = comment.block_end_line
            placed = Placed(directive, comment, begin, finish, first, last)
            (blocks if last > first else result.placed).append(placed)
    for block in blocks:
        ends = {}
        for code in block.directive.codes:
            ends[code] = next((line - 1 for enabled, line in enables if enabled == code and block.first < line <= block.last), block.last)
        result.placed.append(replace(block, last_by_code=ends))
    return result
