"""Fix builders, by operation: build nodes, replace a node, insert a statement.

New code is made by editing CST nodes (never by parsing a snippet) and
rendering them with libcst, which keeps the file's formatting (comments,
parentheses, line breaks). Every position is a token position in the code
libcst renders; `source_map` maps the finished edit back to the file's text,
so a form feed or a continuation in an indentation never shifts an edit, and
an edit never covers a line it does not change. Code a fix inserts follows
the file's style: the indentation of the block it goes into (libcst's, not
the line's characters) and the file's quotes (`style`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, List, Optional, Sequence, Tuple, Union

import libcst as cst

from ckptlint.fixes.model import Edit, minimal_edit
from ckptlint.fixes.render import render_in_place
from ckptlint.fixes.source_map import SourceMap, source_map
from ckptlint.fixes.style import follow_quotes, string_ids
from ckptlint.semantic.model import SemanticModel

if TYPE_CHECKING:
    from ckptlint.semantic.facts.checkpoints import Checkpoint

Whitespace = Union[cst.SimpleWhitespace, cst.ParenthesizedWhitespace]
Element = Union[cst.Arg, cst.BaseDictElement]


# -- building nodes ------------------------------------------------------------


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


def string_literal(value: str) -> cst.SimpleString:
    """`"value"`; the builders requote it in the file's style when they insert it."""
    return cst.SimpleString(f'"{value}"')


def true_literal() -> cst.Name:
    return cst.Name("True")


def positional_arg(value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(value=value)


def keyword_arg(name: str, value: cst.BaseExpression) -> cst.Arg:
    """`name=value`, without spaces around `=` (PEP 8)."""
    no_space = cst.SimpleWhitespace("")
    return cst.Arg(keyword=cst.Name(name), value=value, equal=cst.AssignEqual(whitespace_before=no_space, whitespace_after=no_space))


def _with_commas(args: Sequence[cst.Arg]) -> List[cst.Arg]:
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    return [arg.with_changes(comma=comma) for arg in args[:-1]] + list(args[-1:])


def call_statement(func: cst.BaseExpression, *args: cst.BaseExpression) -> cst.SimpleStatementLine:
    """`func(args...)` as a statement line."""
    return cst.SimpleStatementLine(body=[cst.Expr(cst.Call(func=func, args=[cst.Arg(a) for a in args]))])


def makedirs_statement(makedirs: str, dirname: str, path: cst.BaseExpression) -> cst.SimpleStatementLine:
    """`<makedirs>(<dirname>(path), exist_ok=True)`."""
    inner = cst.Call(func=dotted(dirname), args=[positional_arg(path)])
    call = cst.Call(func=dotted(makedirs), args=_with_commas([positional_arg(inner), keyword_arg("exist_ok", true_literal())]))
    return cst.SimpleStatementLine(body=[cst.Expr(value=call)])


def subscript_assignment(variable: str, key: str, value: cst.BaseExpression) -> cst.SimpleStatementLine:
    """`variable["key"] = value`."""
    target = cst.Subscript(
        value=cst.Name(variable),
        slice=[cst.SubscriptElement(slice=cst.Index(value=string_literal(key)))],
    )
    return cst.SimpleStatementLine(body=[cst.Assign(targets=[cst.AssignTarget(target=target)], value=value)])


# -- replacing a node -------------------------------------------------------------


def replace_node(model: SemanticModel, old: cst.CSTNode, new: cst.CSTNode) -> Edit:
    """An edit replacing ``old`` by ``new``, trimmed to the characters that change.

    Both are rendered in place (with the enclosing blocks' indentation, so the
    continuation lines of a multi-line call keep their column) and compared; the
    strings ``new`` adds are requoted in the file's style. Where the rendering of
    ``old`` is not found at its position, the whole module is rendered with the
    replacement instead (always exact, only slower).
    """
    where = source_map(model)
    new = follow_quotes(model, new, string_ids(old))
    indents = _enclosing_indents(model, old)
    before = render_in_place(model.module, old, indents)
    start = _render_start(model, where, old)
    if where.rendered.startswith(before, start):
        edit = minimal_edit(before, render_in_place(model.module, new, indents), start)
    else:
        edit = minimal_edit(where.rendered, model.module.deep_replace(old, new).code, 0)  # type: ignore[union-attr]
    return where.to_text(edit)


def _enclosing_indents(model: SemanticModel, node: cst.CSTNode) -> List[str]:
    """The indentation each enclosing indented block adds, outermost first."""
    indents: List[str] = []
    current = model.parent(node)
    while current is not None:
        if isinstance(current, cst.IndentedBlock):
            indents.append(model.module.default_indent if current.indent is None else current.indent)
        current = model.parent(current)
    indents.reverse()
    return indents


def _render_start(model: SemanticModel, where: SourceMap, node: cst.CSTNode) -> int:
    """Where ``node``'s in-place rendering starts in the rendered code: a statement's
    with its comment lines and indentation, any other node's at its first token."""
    span = model.rendered_span(node)
    leading = getattr(node, "leading_lines", None)
    if isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)) and leading is not None:
        return where.lines.line_start(span.line - len(leading))
    return where.offset(span.line, span.column - 1)


def _append(elements: Sequence[Element], new: Element, opening: cst.BaseParenthesizableWhitespace) -> List[Element]:
    """``elements`` (a call's arguments or a dict's entries) with ``new`` last, laid out
    as the existing ones are: after the separator the last one follows, taking over a
    trailing comma, or on its own line when the last one is."""
    elements = list(elements)
    if not elements:
        return [new]
    last = elements[-1]
    separator = _separator_before_last(elements, opening)
    if isinstance(last.comma, cst.Comma):
        # `f(a,)` or one element per line with a trailing comma: the new one takes it over.
        elements[-1] = last.with_changes(comma=cst.Comma(whitespace_after=separator))
        elements.append(new.with_changes(comma=last.comma))
    elif isinstance(last, cst.Arg) and isinstance(last.whitespace_after_arg, cst.ParenthesizedWhitespace):
        # `f(\n    a\n)`: the new argument on its own line, at the same indentation.
        elements[-1] = last.with_changes(comma=cst.Comma(whitespace_after=separator), whitespace_after_arg=cst.SimpleWhitespace(""))
        elements.append(new.with_changes(whitespace_after_arg=last.whitespace_after_arg))
    else:
        # `{\n    "a": 1\n}` keeps its closing layout in `rbrace`; one line gets ", ".
        after = separator if isinstance(last, cst.BaseDictElement) else cst.SimpleWhitespace(" ")
        elements[-1] = last.with_changes(comma=cst.Comma(whitespace_after=after))
        elements.append(new)
    return elements


def _separator_before_last(elements: Sequence[Element], opening: cst.BaseParenthesizableWhitespace) -> Whitespace:
    """The whitespace between the last element and what precedes it (one space if none)."""
    if len(elements) >= 2 and isinstance(elements[-2].comma, cst.Comma):
        whitespace = elements[-2].comma.whitespace_after
    else:
        whitespace = opening
    if isinstance(whitespace, cst.SimpleWhitespace) and whitespace.value == "":
        return cst.SimpleWhitespace(" ")
    return whitespace  # type: ignore[return-value]


def _append_argument(call: cst.Call, new_arg: cst.Arg) -> cst.Call:
    return call.with_changes(args=_append(call.args, new_arg, call.whitespace_before_args))  # type: ignore[arg-type]


def add_keyword_argument(model: SemanticModel, call: cst.Call, keyword: str, value: cst.BaseExpression) -> Edit:
    """An edit that appends ``keyword=value`` to ``call``'s arguments."""
    return replace_node(model, call, _append_argument(call, keyword_arg(keyword, value)))


def add_keyword_arguments(model: SemanticModel, call: cst.Call, keywords: Sequence[Tuple[str, cst.BaseExpression]]) -> Edit:
    """One edit that appends each ``(keyword, value)`` to ``call``'s arguments, in order."""
    new = call
    for name, value in keywords:
        new = _append_argument(new, keyword_arg(name, value))
    return replace_node(model, call, new)


def add_dict_entry(model: SemanticModel, node: cst.Dict, key: str, value: cst.BaseExpression) -> Edit:
    """An edit that appends `"key": value` to the dict literal ``node``, keeping its layout."""
    element = cst.DictElement(key=string_literal(key), value=value)
    return replace_node(model, node, node.with_changes(elements=_append(node.elements, element, node.lbrace.whitespace_after)))


def wrap_in_if(model: SemanticModel, statement: cst.SimpleStatementLine, test: cst.BaseExpression) -> Edit:
    """`if test:` around ``statement``: only that statement is re-indented; the comment
    lines above it stay above the new `if`, its trailing comment stays on its line."""
    inner = statement.with_changes(leading_lines=())
    new = cst.If(test=test, body=cst.IndentedBlock(body=[inner]), leading_lines=statement.leading_lines)
    return replace_node(model, statement, new)


# -- inserting a statement -----------------------------------------------------------


def insert_statement_before(model: SemanticModel, anchor: cst.SimpleStatementLine, statement: cst.SimpleStatementLine) -> Edit:
    """An edit that inserts ``statement`` on its own line before ``anchor``, at its indentation."""
    where = source_map(model)
    line = model.rendered_span(anchor).line
    return _insert_line(model, where, where.lines.line_start(line), _indentation(model, where, anchor), statement, anchor)


def insert_statement_first(model: SemanticModel, block: cst.IndentedBlock, statement: cst.SimpleStatementLine) -> Edit:
    """An edit that inserts ``statement`` before the first statement of ``block`` (and
    the comment lines above it, which describe it), at its indentation."""
    where = source_map(model)
    first = block.body[0]
    line = model.rendered_span(first).line - len(getattr(first, "leading_lines", ()))
    return _insert_line(model, where, where.lines.line_start(line), _indentation(model, where, first), statement, first)


def insert_statement_after(model: SemanticModel, anchor: cst.BaseStatement, statement: cst.BaseStatement) -> Edit:
    """An edit that inserts ``statement`` (a line, or a compound statement with its block) on the
    line after ``anchor`` (a statement line, or a compound statement with all its blocks), at
    ``anchor``'s indentation."""
    where = source_map(model)
    after = where.lines.next_line_start(model.rendered_span(anchor).end_line)
    return _insert_line(model, where, after, _indentation(model, where, anchor), statement, anchor)


def insert_statement_after_block(model: SemanticModel, compound: cst.BaseCompoundStatement, statement: cst.SimpleStatementLine) -> Edit:
    """An edit that inserts ``statement`` on the line after the compound statement
    ``compound`` (an `if` with its `else`), at the compound statement's indentation."""
    return insert_statement_after(model, compound, statement)


def _indentation(model: SemanticModel, where: SourceMap, statement: cst.CSTNode) -> str:
    """The indentation of ``statement``'s line as libcst renders it (the enclosing
    blocks' indentation: never a form feed or a continuation the line holds)."""
    span = model.rendered_span(statement)
    return where.rendered[where.lines.line_start(span.line) : where.offset(span.line, span.column - 1)]


def _insert_line(
    model: SemanticModel, where: SourceMap, offset: int, indent: str, statement: cst.BaseStatement, near: cst.CSTNode
) -> Edit:
    """Insert ``statement`` at the line start ``offset`` of the rendered code; the strings
    it copies from ``near`` keep their quotes, those the fix creates take the file's. A
    compound statement's block is indented one more level than ``indent``, as the file does."""
    statement = follow_quotes(model, statement, string_ids(near))  # type: ignore[assignment]
    code = model.module.code_for_node(statement)
    if not isinstance(statement, cst.SimpleStatementLine):
        first, newline, rest = code.partition(model.module.default_newline)
        code = first + newline + "".join(indent + line if line.strip() else line for line in rest.splitlines(keepends=True))
    point = where.after(offset)
    text = model.text
    prefix = model.module.default_newline if point == len(text) and text and not text.endswith(("\n", "\r")) else ""
    return Edit(point, point, prefix + indent + code)


# -- checkpoint entries ------------------------------------------------------------------


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


def state_dict_key(checkpoint: "Checkpoint", owner: str, preferred_key: str, several: bool) -> Optional[str]:
    """The key under which `<owner>.state_dict()` goes: the one users expect (`"optimizer"`), or
    the object's own name when several of that kind are in scope (`"opt_d"`); None when both
    keys are already taken."""
    own_name = owner.rsplit(".", 1)[-1]
    first, second = (own_name, preferred_key) if several else (preferred_key, own_name)
    return checkpoint.free_key(first, second)


# -- where a fix can go ------------------------------------------------------------------


def own_statement_line(model: SemanticModel, node: cst.CSTNode) -> Optional[cst.SimpleStatementLine]:
    """The statement line that is exactly ``node`` as an expression statement, in an
    indented block or the module body (None for `x = f()`, `a(); f()`, `if c: f()`)."""
    expr = model.parent(node)
    line = model.parent(expr) if isinstance(expr, cst.Expr) else None
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    if not isinstance(model.parent(line), (cst.IndentedBlock, cst.Module)):
        return None
    return line


def node_contains(model: SemanticModel, outer: cst.CSTNode, inner: cst.CSTNode) -> bool:
    """Whether ``inner`` is written inside ``outer`` (by position)."""
    a, b = model.rendered_span(outer), model.rendered_span(inner)
    return a.start_offset <= b.start_offset and b.end_offset <= a.end_offset
