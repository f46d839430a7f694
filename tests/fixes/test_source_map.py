"""The source map: libcst's token positions, mapped to the text, hold the same token,
on programs whose layout libcst does not keep (form feeds, continuations in
indentation, `\\r` newlines, whitespace at the end of the file)."""

from __future__ import annotations

import libcst as cst
from hypothesis import given, settings
from hypothesis import strategies as st
from libcst.metadata import MetadataWrapper, PositionProvider

from ckptlint.fixes.model import Edit
from ckptlint.semantic.core.source_map import SourceMap

LINES = [
    "import torch",
    "class A:",
    "    def f(self, a):",
    "        x = (1,",
    "             2)",
    "        if a:",
    "            torch.save({'a': 1,",
    "                        'b': 2}, 'p')",
    "        return x",
    "y = A().f(1)",
]
LAYOUT = ["\f", "\f\f", "\\\n", "\\\r\n", " \\\n", "    \\\n", "\t", " ", "\n", "#c\n", "\f\n"]


class _Tokens(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.nodes: list = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, (cst.Name, cst.SimpleString, cst.Integer, cst.Comment)):
            self.nodes.append(node)
        return True


@st.composite
def programs(draw):  # type: ignore[no-untyped-def]
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 3))):
        index = draw(st.integers(0, len(lines) - 1))
        column = draw(st.integers(0, len(lines[index])))
        lines[index] = lines[index][:column] + draw(st.sampled_from(LAYOUT)) + lines[index][column:]
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return newline.join(lines) + draw(st.sampled_from([newline, "", newline * 2, newline + "  "]))


@settings(max_examples=300, deadline=None)
@given(programs())
def test_every_token_maps_to_itself(text: str) -> None:
    try:
        module = cst.parse_module(text)
    except Exception:
        return  # not a program: nothing to map
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    where = SourceMap(text, wrapper.module.code)
    collector = _Tokens()
    wrapper.module.visit(collector)
    for node in collector.nodes:
        place = positions[node]
        start, end = where.offset(place.start.line, place.start.column), where.offset(place.end.line, place.end.column)
        assert text[where.before(start) : where.after(end)] == where.rendered[start:end]


def test_an_insertion_at_a_line_start_goes_before_the_lines_form_feed() -> None:
    text = "def f():\n    x = 1\n\f    y = 2\n"
    where = SourceMap(text, cst.parse_module(text).code)
    assert not where.exact
    line_start = where.lines.line_start(3)
    assert where.to_text(Edit(line_start, line_start, "    z = 0\n")) == Edit(19, 19, "    z = 0\n")
    token = where.offset(3, 4)
    assert text[where.before(token)] == "y"


def test_identical_texts_map_to_themselves() -> None:
    where = SourceMap("x = 1\n", "x = 1\n")
    assert where.exact and where.to_text(Edit(2, 3, "+")) == Edit(2, 3, "+")
