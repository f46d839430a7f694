"""The comments of a module, with the facts suppressions need.

Taken from the CST (never by scanning text), so a `# noqa` inside a string
literal is not a comment. For a comment on a line of its own we also record
where its enclosing block ends: `# ckptlint: disable=...` there lasts until
the end of that block.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Tuple

import libcst as cst


@dataclass(frozen=True)
class Comment:
    line: int
    text: str
    own_line: bool  # alone on its line (not after code)
    block_end_line: int  # last line of the enclosing block (module: last line)
    in_header: bool  # in the module's first comment block, before any code


class CommentCollector(cst.CSTVisitor):
    """Collects comment nodes with their enclosing indented block."""

    def __init__(self, module: cst.Module) -> None:
        self._header = {id(line) for line in module.header}
        self._blocks: List[Optional[cst.IndentedBlock]] = [None]
        self.found: List[Tuple[cst.Comment, bool, Optional[cst.IndentedBlock], bool]] = []

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._blocks.append(node)

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock) -> None:
        self._blocks.pop()

    def visit_EmptyLine(self, node: cst.EmptyLine) -> None:
        if node.comment is not None:
            self.found.append((node.comment, True, self._blocks[-1], id(node) in self._header))

    def visit_TrailingWhitespace(self, node: cst.TrailingWhitespace) -> None:
        if node.comment is not None:
            self.found.append((node.comment, False, self._blocks[-1], False))
