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

from ckptlint.semantic.core.tree import Tree


@dataclass(frozen=True)
class Comment:
    line: int
    text: str
    own_line: bool  # alone on its line (not after code)
    block_end_line: int  # last line of the enclosing block (module: last line)
    in_header: bool  # in the module's first comment block, before any code


def comments_of(tree: Tree) -> List[Tuple[cst.Comment, bool, Optional[cst.IndentedBlock], bool]]:
    """``(comment, own line, enclosing indented block or None, in the module's header)`` for every
    comment of ``tree``'s module, read off the tree's one walk (no walk of its own)."""
    header = {id(line) for line in tree.module.header}
    found = []
    for comment in tree.nodes(cst.Comment):
        holder = tree.parent(comment)
        if isinstance(holder, cst.EmptyLine):
            found.append((comment, True, _block(tree, holder), id(holder) in header))
        elif isinstance(holder, cst.TrailingWhitespace):
            found.append((comment, False, _block(tree, holder), False))
    return found


def _block(tree: Tree, node: cst.CSTNode) -> Optional[cst.IndentedBlock]:
    parent = tree.parent(node)
    while parent is not None and not isinstance(parent, cst.IndentedBlock):
        parent = tree.parent(parent)
    return parent
