"""Where nodes are: spans with line, column and code-point offsets, computed when first asked.

A file without findings never pays for positions; one with findings pays one
code generation of the module (`node_ranges`). libcst's positions are positions
in the code it renders, which differs from the file's text where libcst drops
layout (a form feed at a line's start...): `span` maps them to the text (what a
finding reports), `rendered_span` keeps them in the rendering (what fix
builders edit, `source_map.py`).
"""

from __future__ import annotations

import itertools
from array import array
from typing import Dict, List, Optional, Tuple

import libcst as cst
from libcst._nodes.internal import CodegenState  # private: see `_OffsetRecorder`

from ckptlint.diagnostics import Span
from ckptlint.semantic.core.positions import LineIndex
from ckptlint.semantic.core.source_map import SourceMap


# A range of token counts is kept as one int, ``start << _SHIFT | end``: a third of the memory of a
# tuple of two (a 1,000-line file has some 60,000 ranges, and the server keeps a few versions').
_SHIFT = 32
_END = (1 << _SHIFT) - 1


def _unpack(packed: int) -> Tuple[int, int]:
    return packed >> _SHIFT, packed & _END


class _OffsetRecorder(CodegenState):
    """libcst's code generation, recording where each node's code starts and ends.

    The same ranges as libcst's `PositionProvider` (syntactic positions: a
    statement's range leaves out its leading blank lines and comments), as
    code-point offsets instead of line/column objects, which is several times
    cheaper. libcst has no public hook for this: the recorder subclasses its
    code-generation state, and a test compares every node's range with
    `PositionProvider`'s so that a libcst upgrade that changes the protocol
    fails loudly.

    What is recorded during the generation is cheap to record and to keep: a
    range is two token counts (``len(tokens)``) packed in one int (`_pack`),
    keyed by the node's ``id`` (a node's own ``__hash__`` is a Python call,
    the generation's dearest step), and a token is appended by the list's own
    ``append``. Token counts become offsets afterwards, by one prefix sum
    (`offsets`).
    """

    def __init__(self, module: cst.Module) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.add_token = self.tokens.append  # type: ignore[method-assign]  # the hottest call, made a C one
        self.ranges: Dict[int, int] = {}  # id(node) -> its first token and the token after its last (`_pack`)
        self._starts: List[int] = []
        self._syntactic: List[Tuple[int, int, Optional[cst.CSTNode], Optional[cst.CSTNode]]] = []
        self._dropped: Optional[int] = None  # the module's trailing newline, rendered or not

    def before_codegen(self, node: cst.CSTNode) -> None:
        self._starts.append(len(self.tokens))

    def after_codegen(self, node: cst.CSTNode) -> None:
        # A syntactic range, recorded inside, wins.
        self.ranges.setdefault(id(node), self._starts.pop() << _SHIFT | len(self.tokens))

    def pop_trailing_newline(self) -> None:
        # The newline stays counted (as `PositionProvider` counts it: the module's range ends
        # after it) and is left out of the rendering (`rendered`).
        if self.tokens:
            self._dropped = len(self.tokens) - 1

    def record_syntactic_position(  # type: ignore[override]
        self, node: cst.CSTNode, *, start_node: Optional[cst.CSTNode] = None, end_node: Optional[cst.CSTNode] = None
    ) -> "_OffsetRecorder":
        self._syntactic.append((id(node), len(self.tokens), start_node, end_node))
        return self  # the context manager of the `with` libcst writes around the node's code

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        key, start, start_node, end_node = self._syntactic.pop()
        end = len(self.tokens)
        if start_node is not None:
            start = _unpack(self.ranges[id(start_node)])[0]
        if end_node is not None:
            end = _unpack(self.ranges[id(end_node)])[1]
        self.ranges[key] = start << _SHIFT | end

    def offsets(self) -> "array[int]":
        """The code-point offset of each token count (``offsets()[n]``: where token ``n`` starts)."""
        found = array("q", (0,))
        found.extend(itertools.accumulate(map(len, self.tokens)))
        return found

    def rendered(self) -> str:
        """The module's code, as `module.code` renders it."""
        if self._dropped is None:
            return "".join(self.tokens)
        return "".join(self.tokens[: self._dropped]) + "".join(self.tokens[self._dropped + 1 :])


def node_ranges(module: cst.Module) -> Dict[int, Tuple[int, int]]:
    """``{id(node): (start offset, end offset)}`` for every node of ``module``, from one code generation."""
    recorder = _generate(module)
    offsets = recorder.offsets()
    ranges = {key: _unpack(packed) for key, packed in recorder.ranges.items()}
    return {key: (offsets[start], offsets[end]) for key, (start, end) in ranges.items()}


def _generate(module: cst.Module) -> _OffsetRecorder:
    recorder = _OffsetRecorder(module)
    module._codegen(recorder)
    return recorder


class Positions:
    """Spans of nodes, computed on first use (a file without findings never pays for them)."""

    def __init__(self, module: cst.Module, lines: LineIndex) -> None:
        self._module = module
        self._lines = lines
        self._ranges: Optional[Dict[int, int]] = None  # in token counts, packed (`_OffsetRecorder`)
        self._offsets: "array[int]" = array("q")
        self._map: Optional[SourceMap] = None

    def _generate(self) -> SourceMap:
        if self._map is None:
            recorder = _generate(self._module)
            self._ranges, self._offsets = recorder.ranges, recorder.offsets()
            self._map = SourceMap(self._lines.text, recorder.rendered())
        return self._map

    def _range(self, node: cst.CSTNode) -> Tuple[int, int]:
        """Where ``node`` is in the rendered code: its start and end offsets."""
        self._generate()
        start, end = _unpack(self._ranges[id(node)])  # type: ignore[index]
        return self._offsets[start], self._offsets[end]

    @property
    def source_map(self) -> SourceMap:
        """The module's code as libcst renders it (`module.code`) and where each of its characters
        is in the text, from the same one generation as the spans."""
        return self._generate()

    def span(self, node: cst.CSTNode) -> Span:
        """Where ``node`` is in the file's text."""
        start, end = self._range(node)
        where = self._generate()
        if not where.exact:
            start, end = where.before(start), where.after(end)
            end = max(start, end)
        return _span(self._lines, start, end)

    def rendered_span(self, node: cst.CSTNode) -> Span:
        """Where ``node`` is in the rendered code (`source_map.rendered`): libcst's own position."""
        start, end = self._range(node)
        return _span(self._generate().lines, start, end)


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
