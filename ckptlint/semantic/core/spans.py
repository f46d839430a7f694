"""Where nodes are: spans with line, column and code-point offsets, computed when first asked.

A file without findings never pays for positions; one with findings pays one
code generation of the module (`node_ranges`). libcst's positions are positions
in the code it renders, which differs from the file's text where libcst drops
layout (a form feed at a line's start...): `span` maps them to the text (what a
finding reports), `rendered_span` keeps them in the rendering (what fix
builders edit, `source_map.py`).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Tuple

import libcst as cst
from libcst._nodes.internal import CodegenState  # private: see `_OffsetRecorder`

from ckptlint.diagnostics import Span
from ckptlint.semantic.core.positions import LineIndex
from ckptlint.semantic.core.source_map import SourceMap


class _OffsetRecorder(CodegenState):
    """libcst's code generation, recording where each node's code starts and ends.

    The same ranges as libcst's `PositionProvider` (syntactic positions: a
    statement's range leaves out its leading blank lines and comments), as
    code-point offsets instead of line/column objects, which is several times
    cheaper. libcst has no public hook for this: the recorder subclasses its
    code-generation state, and a test compares every node's range with
    `PositionProvider`'s so that a libcst upgrade that changes the protocol
    fails loudly.
    """

    def __init__(self, module: cst.Module) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.offset = 0
        self.ranges: Dict[cst.CSTNode, Tuple[int, int]] = {}
        self._starts: List[int] = []

    def add_indent_tokens(self) -> None:
        self.tokens.extend(self.indent_tokens)
        for token in self.indent_tokens:
            self.offset += len(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self.offset += len(value)

    def before_codegen(self, node: cst.CSTNode) -> None:
        self._starts.append(self.offset)

    def after_codegen(self, node: cst.CSTNode) -> None:
        start = self._starts.pop()
        if node not in self.ranges:  # a syntactic range, recorded inside, wins
            self.ranges[node] = (start, self.offset)

    @contextmanager
    def record_syntactic_position(
        self, node: cst.CSTNode, *, start_node: Optional[cst.CSTNode] = None, end_node: Optional[cst.CSTNode] = None
    ) -> Iterator[None]:
        start = self.offset
        try:
            yield
        finally:
            end = self.offset
            if start_node is not None:
                start = self.ranges[start_node][0]
            if end_node is not None:
                end = self.ranges[end_node][1]
            self.ranges[node] = (start, end)


def node_ranges(module: cst.Module) -> Dict[cst.CSTNode, Tuple[int, int]]:
    """``{node: (start offset, end offset)}`` for every node of ``module``, from one code generation."""
    return _generate(module).ranges


def _generate(module: cst.Module) -> _OffsetRecorder:
    recorder = _OffsetRecorder(module)
    module._codegen(recorder)
    return recorder


class Positions:
    """Spans of nodes, computed on first use (a file without findings never pays for them)."""

    def __init__(self, module: cst.Module, lines: LineIndex) -> None:
        self._module = module
        self._lines = lines
        self._ranges: Optional[Dict[cst.CSTNode, Tuple[int, int]]] = None
        self._map: Optional[SourceMap] = None

    def _generate(self) -> Tuple[Dict[cst.CSTNode, Tuple[int, int]], SourceMap]:
        if self._ranges is None or self._map is None:
            recorder = _generate(self._module)
            self._ranges = recorder.ranges
            self._map = SourceMap(self._lines.text, "".join(recorder.tokens))
        return self._ranges, self._map

    @property
    def source_map(self) -> SourceMap:
        """The module's code as libcst renders it (`module.code`) and where each of its characters
        is in the text, from the same one generation as the spans."""
        return self._generate()[1]

    def span(self, node: cst.CSTNode) -> Span:
        """Where ``node`` is in the file's text."""
        ranges, where = self._generate()
        start, end = ranges[node]
        if not where.exact:
            start, end = where.before(start), where.after(end)
            end = max(start, end)
        return _span(self._lines, start, end)

    def rendered_span(self, node: cst.CSTNode) -> Span:
        """Where ``node`` is in the rendered code (`source_map.rendered`): libcst's own position."""
        ranges, where = self._generate()
        start, end = ranges[node]
        return _span(where.lines, start, end)


def _span(lines: LineIndex, start: int, end: int) -> Span:
    start_line, end_line = lines.line_of(start), lines.line_of(end)
    return Span(
        line=start_line,
        column=start - lines.line_start(start_line) + 1,
        end_line=end_line,
        end_column=end - lines.line_start(end_line) + 1,
        start_offset=start,
        end_offset=end,
    )
