"""Cheap checks that must run before handing text to libcst's parser.

libcst's native parser recurses on nested brackets and can overflow the
native stack (killing the whole process) a few thousand levels deep, while
CPython itself refuses more than 200 nested parentheses. A character count
over-approximates the depth (brackets inside strings and comments count
too), so it is only a gate: the exact, tokenizer-based count runs only when
that gate is crossed, which real code almost never does.

Brackets are not the only nesting: unary operators (`not not ... x`,
`- - x`), lambdas, conditional expressions, attribute, call and subscript
chains, long operator chains and `elif` chains all make libcst's parser
recurse, and it crashes or takes minutes where CPython stops at about 3,000 levels (its
"maximum recursion depth exceeded during ast construction"). Every level
costs at least one character of one statement, so only a statement longer
than `MAX_EXPRESSION_DEPTH` characters (strings and comments aside), or a
file with half that many `elif`s, can be that deep: for those CPython's own
parser, which fails cleanly, measures the real depth of the syntax tree
before libcst ever sees the text.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from typing import Optional

# CPython's tokenizer limit (MAXLEVEL): "too many nested parentheses".
MAX_BRACKET_DEPTH = 200
# Deeper syntax trees are refused: libcst parses 500 levels of its slowest
# construct (a subscript chain) in about a second, and grows superlinearly.
MAX_EXPRESSION_DEPTH = 500
_OPEN = {"(", "[", "{"}
_CLOSE = {")", "]", "}"}


# Comments and string literals (they nest nothing) become one character each.
_OPAQUE = re.compile(
    r"#[^\r\n]*"
    r"|\"\"\"(?:\\.|[^\\])*?\"\"\"|'\'\'(?:\\.|[^\\])*?'\'\'"
    r"|\"(?:\\.|[^\"\\\r\n])*\"|'(?:\\.|[^'\\\r\n])*'",
    re.DOTALL,
)


# A token that can add a level to the syntax tree: operators, `.`, opening
# brackets, the keywords that build nested expressions, and a string right
# after another (implicit concatenation nests too). Commas, names and
# numbers never nest, so long flat literals and calls do not count.
_TOKENS = re.compile(
    r"(?P<close>[)\]}])"
    r"|(?P<end>\\\r?\n|[\r\n;])"
    r"|(?P<open>[(\[{])"
    r"|\b(?:not|and|or|if|else|lambda|await|in|is)\b|S(?=\s*S)|[.~+\-*/%@&|^<>!]"
)
# A tree can gain up to two levels per nesting token (`a and (b and …)`) and
# enclosing blocks add more: 150 tokens stays well under the 500 levels
# refused below, and far under the thousands where libcst itself fails.
GATE_TOKENS = 150


def _busiest_statement(text: str) -> int:
    """The most nesting tokens in one statement, strings and comments aside."""
    code = _OPAQUE.sub("S", text)
    depth = count = busiest = 0
    # One tuple per token, built by the regex engine: (a closing bracket, a statement's possible
    # end, an opening bracket), all empty for any other nesting token.
    for close, end, opening in _TOKENS.findall(code):
        if close:
            if depth:
                depth -= 1
        elif end:
            if not depth and end[0] != "\\":
                busiest, count = max(busiest, count), 0
        else:
            count += 1
            if opening:
                depth += 1
    return max(busiest, count)


_BRACKETS = re.compile(r"[][(){}]")


def _rough_depth(text: str) -> int:
    depth = deepest = 0
    for char in _BRACKETS.findall(text):  # only the brackets: a loop over every character costs more
        if char in "([{":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif depth:
            depth -= 1
    return deepest


def _tree_problem(text: str) -> Optional[str]:
    """CPython's verdict on a text with a long statement: too deep for libcst, or fine."""
    try:
        tree = compile(text, "<ckptlint>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except (RecursionError, MemoryError):
        return f"expressions nest too deep for Python to parse (ckptlint accepts {MAX_EXPRESSION_DEPTH} levels)"
    except SyntaxError as exc:
        # Not handed to libcst either: its parser might recurse on the deep part.
        message = " ".join(str(exc.msg).split())
        return f"syntax error at {exc.lineno or 1}:{exc.offset or 1}: {message}"
    except ValueError as exc:
        return " ".join(str(exc).split())
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_EXPRESSION_DEPTH:
            return f"code nests over {MAX_EXPRESSION_DEPTH} levels deep (expressions or elif chains)"
        # libcst nests `a and b and c` as binary operations: one level per operator.
        step = len(node.values) if isinstance(node, ast.BoolOp) else 1
        stack.extend((child, depth + step) for child in ast.iter_child_nodes(node))
    return None


def _exact_depth(text: str) -> int:
    depth = deepest = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.OP:
                if token.string in _OPEN:
                    depth += 1
                    deepest = max(deepest, depth)
                elif token.string in _CLOSE and depth:
                    depth -= 1
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass  # the parser will report the real syntax error
    return deepest


def nesting_problem(text: str) -> Optional[str]:
    """A one-line reason when ``text`` nests deeper than libcst can safely parse."""
    if _rough_depth(text) > MAX_BRACKET_DEPTH:
        depth = _exact_depth(text)
        if depth > MAX_BRACKET_DEPTH:
            return f"brackets nest {depth} deep; Python accepts at most {MAX_BRACKET_DEPTH}"
    if len(text) > MAX_EXPRESSION_DEPTH and (
        # an `elif` chain nests one level per `elif`, across lines
        text.count("elif") > MAX_EXPRESSION_DEPTH // 2
        or _busiest_statement(text) > GATE_TOKENS
    ):
        return _tree_problem(text)
    return None
