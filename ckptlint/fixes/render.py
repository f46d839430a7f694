"""Rendering a node as libcst would render it in place, inside its blocks.

`Module.code_for_node` renders a node as if it stood at the top of a module:
the continuation lines of a multi-line call inside a function would move to
column 0. Rendering in place needs the indentation of the enclosing blocks
set before the node is rendered, which only libcst's (private) code
generation state allows. This module is the one place that touches it;
`tests/fixes/test_render.py` fails loudly if a libcst upgrade changes it.
"""

from __future__ import annotations

from typing import Sequence

import libcst as cst
from libcst._nodes.internal import CodegenState  # private: the state `Module.code_for_node` uses


def render_in_place(module: cst.Module, node: cst.CSTNode, indents: Sequence[str]) -> str:
    """``node``'s code with ``indents`` (the enclosing blocks' indentation,
    outermost first) already in effect, as ``module.code`` renders it."""
    state = CodegenState(
        default_indent=module.default_indent,
        default_newline=module.default_newline,
        indent_tokens=list(indents),
    )
    node._codegen(state)
    return "".join(state.tokens)
