"""`render_in_place` is the one use of libcst's private code generation: if a libcst
upgrade changes it, these fail (and say where to look) before any fix goes wrong."""

from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from ckptlint.fixes.render import render_in_place
from ckptlint.semantic.core.positions import LineIndex

SOURCE = """\
import torch


class Trainer:
    def save(self, path):
        # the checkpoint
        torch.save(
            {
                "model": self.model.state_dict(),
                "epoch": self.epoch,
            },
            path,
        )
"""


def _nested(module: cst.Module):  # type: ignore[no-untyped-def]
    method = module.body[1].body.body[0]  # type: ignore[attr-defined]
    statement = method.body.body[0]
    return method, statement, statement.body[0].value


def test_a_top_level_node_renders_as_code_for_node() -> None:
    module = cst.parse_module(SOURCE)
    for node in module.body:
        assert render_in_place(module, node, []) == module.code_for_node(node), "libcst's CodegenState changed"


def test_a_nested_node_renders_as_it_stands_in_the_module() -> None:
    wrapper = MetadataWrapper(cst.parse_module(SOURCE), unsafe_skip_copy=True)
    module, positions, lines = wrapper.module, wrapper.resolve(PositionProvider), LineIndex(SOURCE)
    method, statement, call = _nested(module)
    indents = ["    ", "    "]
    # A statement renders with its comment lines and its indentation, from the start of its first line.
    first_line = positions[statement].start.line - len(statement.leading_lines)
    start = lines.line_start(first_line)
    assert SOURCE.startswith(render_in_place(module, statement, indents), start), "libcst's in-place rendering changed"
    # An expression renders from its first token, continuation lines at their columns.
    where = positions[call].start
    rendered = render_in_place(module, call, indents)
    assert rendered.count("\n") == 6 and SOURCE.startswith(rendered, lines.offset(where.line, where.column))
    assert render_in_place(module, method, ["    "]).startswith("    def save(self, path):\n        # the checkpoint\n")
