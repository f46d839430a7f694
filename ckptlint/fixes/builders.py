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
    """An edit replacing ``old`` by the rendering of ``new``, trimmed to the change."""
    span = model.span(old)
    old_code = model.text[span.start_offset : span.end_offset]
    return minimal_edit(old_code, model.module.code_for_node(new), span.start_offset)


def string_literal(value: str) -> cst.SimpleString:
    return cst.SimpleString(f'"{value}"')


def true_literal() -> cst.Name:
    return cst.Name("True")
