"""Fix builders: new code is made by editing CST nodes and rendering them.

Rendering with `module.code_for_node` keeps libcst's formatting fidelity
(comments, parentheses, line breaks); `minimal_edit` then trims the result
to the characters that change, so the diff shows only what the fix adds.
"""

from __future__ import annotations

from typing import List, TYPE_CHECKING, Optional, Sequence, Union

import libcst as cst
from libcst._nodes.internal import CodegenState  # the state `Module.code_for_node` uses

from ckptlint.fixes.model import Edit, minimal_edit
from ckptlint.semantic.model import SemanticModel

if TYPE_CHECKING:
    from ckptlint.semantic.facts.checkpoints import Checkpoint

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

    A node rendered on its own would lose the indentation of the blocks
    around it (continuation lines of a multi-line call would move to column
    0), so both nodes are rendered with the enclosing blocks' indentation
    already in place. The rendering of ``old`` must reproduce the file's text
    exactly; if it ever does not, the whole module is rendered instead
    (always exact, only slower).
    """
    span = model.span(old)
    indents = _enclosing_indents(model, old)
    before = _render(model, old, indents)
    if model.text[span.start_offset : span.start_offset + len(before)] == before:
        return minimal_edit(before, _render(model, new, indents), span.start_offset)
    return minimal_edit(model.text, model.module.deep_replace(old, new).code, 0)  # type: ignore[union-attr]


def _enclosing_indents(model: SemanticModel, node: cst.CSTNode) -> List[str]:
    """The indentation each enclosing indented block adds, outermost first."""
    indents: List[str] = []
    current = model.parents.get(node)
    while current is not None:
        if isinstance(current, cst.IndentedBlock):
            indents.append(model.module.default_indent if current.indent is None else current.indent)
        current = model.parents.get(current)
    indents.reverse()
    return indents


def _render(model: SemanticModel, node: cst.CSTNode, indents: List[str]) -> str:
    # What `Module.code_for_node` does, with the block indentation pre-set.
    state = CodegenState(
        default_indent=model.module.default_indent,
        default_newline=model.module.default_newline,
        indent_tokens=list(indents),
    )
    node._codegen(state)
    return "".join(state.tokens)


def string_literal(value: str) -> cst.SimpleString:
    return cst.SimpleString(f'"{value}"')


def true_literal() -> cst.Name:
    return cst.Name("True")


# -- checkpoint entries (saving rules) ----------------------------------------


def dotted(text: str) -> cst.BaseExpression:
    """`self.optimizer` as a node (built, never parsed)."""
    parts = text.split(".")
    node: cst.BaseExpression = cst.Name(parts[0])
    for part in parts[1:]:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node


def method_call(receiver: cst.BaseExpression, method: str) -> cst.Call:
    """`receiver.method()`."""
    return cst.Call(func=cst.Attribute(value=receiver, attr=cst.Name(method)))


def state_dict_call(receiver_text: str) -> cst.Call:
    return method_call(dotted(receiver_text), "state_dict")


def _separator_before_last(open_ws: cst.BaseParenthesizableWhitespace, elements: Sequence[cst.BaseDictElement]):
    if len(elements) >= 2 and isinstance(elements[-2].comma, cst.Comma):
        whitespace = elements[-2].comma.whitespace_after
    else:
        whitespace = open_ws
    if isinstance(whitespace, cst.SimpleWhitespace) and whitespace.value == "":
        return cst.SimpleWhitespace(" ")
    return whitespace


def _append_dict_element(node: cst.Dict, new: cst.DictElement) -> cst.Dict:
    elements = list(node.elements)
    if not elements:
        return node.with_changes(elements=[new])
    last = elements[-1]
    separator = _separator_before_last(node.lbrace.whitespace_after, elements)
    if isinstance(last.comma, cst.Comma):
        # A trailing comma (usually one entry per line): the new entry takes it over.
        elements[-1] = last.with_changes(comma=cst.Comma(whitespace_after=separator))
        elements.append(new.with_changes(comma=last.comma))
    else:
        # `{\n    "a": 1\n}` keeps its closing layout in `rbrace`; a one-line dict gets ", ".
        elements[-1] = last.with_changes(comma=cst.Comma(whitespace_after=separator))
        elements.append(new)
    return node.with_changes(elements=elements)


def add_dict_entry(model: SemanticModel, node: cst.Dict, key: str, value: cst.BaseExpression) -> Edit:
    """An edit that appends `"key": value` to the dict literal ``node``, keeping its layout."""
    element = cst.DictElement(key=string_literal(key), value=value)
    return replace_node(model, node, _append_dict_element(node, element))


def subscript_assignment(variable: str, key: str, value: cst.BaseExpression) -> cst.SimpleStatementLine:
    """`variable["key"] = value`."""
    target = cst.Subscript(
        value=cst.Name(variable),
        slice=[cst.SubscriptElement(slice=cst.Index(value=string_literal(key)))],
    )
    return cst.SimpleStatementLine(body=[cst.Assign(targets=[cst.AssignTarget(target=target)], value=value)])


def insert_statement_after(model: SemanticModel, anchor: cst.SimpleStatementLine, statement: cst.SimpleStatementLine) -> Edit:
    """An edit that inserts ``statement`` on the line after ``anchor``, at the same indentation."""
    span = model.span(anchor)
    line_start = model.lines.line_start(span.line)
    indent = model.text[line_start : span.start_offset]
    offset = model.lines.next_line_start(span.end_line)
    code = model.module.code_for_node(statement)
    prefix = ""
    if offset == len(model.text) and not model.text.endswith(("\n", "\r")):
        prefix = model.module.default_newline
    return Edit(offset, offset, prefix + indent + code)


def add_checkpoint_entry(model: SemanticModel, checkpoint: "Checkpoint", key: str, value: cst.BaseExpression) -> Optional[Edit]:
    """Add ``key: value`` to what a save writes: next to the last `ckpt["k"] = ...`
    when the dict is built up that way, else into the dict literal or `dict(...)`."""
    if checkpoint.variable is not None and checkpoint.last_assignment is not None:
        return insert_statement_after(model, checkpoint.last_assignment, subscript_assignment(checkpoint.variable, key, value))
    container = checkpoint.container
    if isinstance(container, cst.Dict):
        return add_dict_entry(model, container, key, value)
    if isinstance(container, cst.Call) and key.isidentifier():
        return add_keyword_argument(model, container, key, value)
    return None


def add_state_dict_entry(
    model: SemanticModel, checkpoint: "Checkpoint", owner: str, preferred_key: str, several: bool
) -> Optional[Edit]:
    """Add `"<key>": <owner>.state_dict()` to a checkpoint. The key is the one users
    expect (`"optimizer"`), or the object's own name when several of that kind are in
    scope (`"opt_d"`); None when both keys are already taken."""
    own_name = owner.rsplit(".", 1)[-1]
    first, second = (own_name, preferred_key) if several else (preferred_key, own_name)
    key = checkpoint.free_key(first, second)
    if key is None:
        return None
    return add_checkpoint_entry(model, checkpoint, key, state_dict_call(owner))


# -- statements before a statement (paths rules) ----------------------------------


def _call_line(func: str, args: Sequence[cst.Arg]) -> cst.SimpleStatementLine:
    """`func(args...)` as a statement of its own (``func`` dotted, built not parsed)."""
    return cst.SimpleStatementLine(body=[cst.Expr(value=cst.Call(func=dotted(func), args=list(args)))])


def positional_arg(value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(value=value)


def keyword_arg(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(
        keyword=cst.Name(name),
        value=value,
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
    )


def _with_commas(args: Sequence[cst.Arg]) -> List[cst.Arg]:
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    return [arg.with_changes(comma=comma) for arg in args[:-1]] + list(args[-1:])


def makedirs_statement(makedirs: str, dirname: str, path: cst.BaseExpression) -> cst.SimpleStatementLine:
    """`<makedirs>(<dirname>(path), exist_ok=True)`."""
    inner = cst.Call(func=dotted(dirname), args=[positional_arg(path)])
    return _call_line(makedirs, _with_commas([positional_arg(inner), keyword_arg("exist_ok", true_literal())]))


def insert_statement_before(model: SemanticModel, anchor: cst.SimpleStatementLine, statement: cst.SimpleStatementLine) -> Edit:
    """An edit that inserts ``statement`` on its own line before ``anchor``, at the same indentation."""
    span = model.span(anchor)
    line_start = model.lines.line_start(span.line)
    indent = model.text[line_start : span.start_offset]
    code = model.module.code_for_node(statement)
    return Edit(line_start, line_start, indent + code)


def add_keyword_arguments(model: SemanticModel, call: cst.Call, keywords: Sequence[tuple]) -> Edit:
    """One edit that appends each ``(keyword, value)`` to ``call``'s arguments, in order."""
    new = call
    for name, value in keywords:
        new = _append_argument(new, keyword_arg(name, value))
    return replace_node(model, call, new)


# -- statements (distributed rules) -------------------------------------------


def own_statement_line(model: SemanticModel, node: cst.CSTNode) -> Optional[cst.SimpleStatementLine]:
    """The statement line that is exactly ``node`` as an expression statement, in an
    indented block or the module body (None for `x = f()`, `a(); f()`, `if c: f()`)."""
    expr = model.parents.get(node)
    line = model.parents.get(expr) if isinstance(expr, cst.Expr) else None
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    if not isinstance(model.parents.get(line), (cst.IndentedBlock, cst.Module)):
        return None
    return line


def wrap_in_if(model: SemanticModel, statement: cst.SimpleStatementLine, test: cst.BaseExpression) -> Edit:
    """`if test:` around ``statement``: only that statement is re-indented; the comment
    lines above it stay above the new `if`, its trailing comment stays on its line."""
    inner = statement.with_changes(leading_lines=())
    new = cst.If(test=test, body=cst.IndentedBlock(body=[inner]), leading_lines=statement.leading_lines)
    return replace_node(model, statement, new)


def insert_statement_first(model: SemanticModel, block: cst.IndentedBlock, statement: cst.SimpleStatementLine) -> Edit:
    """An edit that inserts ``statement`` before the first statement of ``block`` (and
    the comment lines above it, which describe it), at its indentation."""
    first = block.body[0]
    span = model.span(first)
    indent = model.text[model.lines.line_start(span.line) : span.start_offset]
    line_start = model.lines.line_start(span.line - len(getattr(first, "leading_lines", ())))
    return Edit(line_start, line_start, indent + model.module.code_for_node(statement))


def insert_statement_after_block(model: SemanticModel, compound: cst.BaseCompoundStatement, statement: cst.SimpleStatementLine) -> Edit:
    """An edit that inserts ``statement`` on the line after the compound statement
    ``compound`` (an `if` with its `else`), at the compound statement's indentation."""
    span = model.span(compound)
    line_start = model.lines.line_start(span.line)
    indent = model.text[line_start : span.start_offset]
    offset = model.lines.next_line_start(span.end_line)
    prefix = ""
    if offset == len(model.text) and not model.text.endswith(("\n", "\r")):
        prefix = model.module.default_newline
    return Edit(offset, offset, prefix + indent + model.module.code_for_node(statement))


def call_statement(func: cst.BaseExpression, *args: cst.BaseExpression) -> cst.SimpleStatementLine:
    """`func(args...)` as a statement line."""
    return cst.SimpleStatementLine(body=[cst.Expr(cst.Call(func=func, args=[cst.Arg(a) for a in args]))])


def node_contains(model: SemanticModel, outer: cst.CSTNode, inner: cst.CSTNode) -> bool:
    """Whether ``inner`` is written inside ``outer`` (by position)."""
    a, b = model.span(outer), model.span(inner)
    return a.start_offset <= b.start_offset and b.end_offset <= a.end_offset
