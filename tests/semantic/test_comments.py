"""The model's comments (read off its one tree walk) are the comments a libcst visitor finds,
with the same line, holder, enclosing block and header flag."""

from __future__ import annotations

from typing import List, Optional

import libcst as cst
import pytest

from ckptlint.semantic.core.comments import comments_of
from ckptlint.semantic.core.tree import Tree

from samples import CASES, IDS  # noqa: E402


class ReferenceComments(cst.CSTVisitor):
    """Comments with their enclosing indented block, as libcst's visitor order gives them."""

    def __init__(self, module: cst.Module) -> None:
        self._header = {id(line) for line in module.header}
        self._blocks: List[Optional[cst.IndentedBlock]] = [None]
        self.found: list = []

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


NESTED = """\
# header comment
import torch  # trailing

def f(x):  # on the def line
    # own line in the body
    if x:
        y = (1,  # inside parentheses
             2)
        # last line of the inner block
    return x
# after everything
"""


@pytest.mark.parametrize("name, text", [*CASES, ("nested", NESTED)], ids=[*IDS, "nested"])
def test_comments_are_the_visitors(name: str, text: str) -> None:
    module = cst.parse_module(text)
    reference = ReferenceComments(module)
    module.visit(reference)
    ours = comments_of(Tree(module))
    assert [(id(c), own, id(b), h) for c, own, b, h in ours] == [(id(c), own, id(b), h) for c, own, b, h in reference.found]
    if name == "nested":
        assert len(ours) == 7 and ours[0][3] and not ours[1][3]
