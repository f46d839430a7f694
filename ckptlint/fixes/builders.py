"""Fix builders: new code is made by editing CST nodes and rendering them.

Rendering with `module.code_for_node` keeps libcst's formatting fidelity
(comments, parentheses, line breaks); `minimal_edit` then trims the result
to the characters that change, so the diff shows only what the fix adds.
"""

from __future__ import annotations

from typing import Sequence, Union

import libcst as cst

from ckptlint.fixes.model import Edit, minimal_edit
from ckptlint.semantic.model import SemanticModel

Whitespace = Union[cst.SimpleWhitespace, cst.ParenthesizedWhitespace]


def _whitespace_before_last(call: cst.Call, args: Sequence[cst.Arg]) -> Whitespace:
    """The whitespace that separates the last argument from what precedes it."""
    if len(args) >= 2 and isinstance(args[-2].comma, cst.Comma):
        whitespace = args[-2].comma.whitespace_after
    else:
        whitespace = call.whitespace_before_args
    if isinstance(whitespace, cst.SimpleWhitespace) and whitespace.value == "":
        return cst.SimpleWhitespace(" ")
    return whitespace  # type: ignore[return-value]


def _append_argument(call: cst.Call, new_arg: cst.Arg) -> cst.Call:
    args = list(call.args)
    if not args:
        return call.with_changes(args=[new_arg])
    last = args[-1]
    separator = _whitespace_before_last(call, args)
    if isinstance(last.comma, cst.Comma):
        # `f(a,)` or a multi-line call with a trailing comma: the new argument
        # takes over the trailing comma and whatever follows it.
        args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=separator))
        args.append(new_arg.with_changes(comma=last.comma))
    elif isinstance(last.whitespace_after_arg, cst.ParenthesizedWhitespace):
        # `f(\n    a\n)`: put the new argument on its own line, same indent.
        args[-1] = last.with_changes(
            comma=cst.Comma(whitespace_after=separator),
            whitespace_after_arg=cst.SimpleWhitespace(""),
        )
        args.append(new_arg.with_changes(whitespace_after_arg=last.whitespace_after_arg))
    else:
        args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        args.append(new_arg)
    return call.with_changes(args=args)


def add_keyword_argument(
    model: SemanticModel, call: cst.Call, keyword: str, value: cst.BaseExpression
) -> Edit:
    """An edit that appends ``keyword=value`` to ``call``'s arguments."""
    new_arg = cst.Arg(
        keyword=cst.Name(keyword),
        value=value,
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        ),
    )
    return replace_node(model, call, _append_argument(call, new_arg))


def replace_node(model: SemanticModel, old: cst.CSTNode, new: cst.CSTNode) -> Edit:
    """An edit replacing ``old`` by ``new``, trimmed to the characters that change.

    A node rendered on its own loses the indentation of the blocks around it
    (continuation lines of a multi-line call would move to column 0), so the
    enclosing top-level statement, which starts at column 0, is rendered with
    ``old`` replaced, and compared with its own rendering.
    """
    statement = model.top_level_statement(old)
    if statement is not None:
        replaced = statement.deep_replace(old, new)
        before = model.module.code_for_node(_without_leading_lines(statement))
        after = model.module.code_for_node(_without_leading_lines(replaced))
        start = model.span(statement).start_offset
        if model.text[start : start + len(before)] == before:
            return minimal_edit(before, after, start)
    # Fallback: render the whole module (always exact, just slower).
    return minimal_edit(model.text, model.module.deep_replace(old, new).code, 0)  # type: ignore[union-attr]


def _without_leading_lines(node: cst.CSTNode) -> cst.CSTNode:
    if hasattr(node, "leading_lines"):
        return node.with_changes(leading_lines=())
    return node


def string_literal(value: str) -> cst.SimpleString:
    return cst.SimpleString(f'"{value}"')


def true_literal() -> cst.Name:
    return cst.Name("True")
