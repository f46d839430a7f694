"""Cheap checks that must run before handing text to libcst's parser.

libcst's native parser recurses on nested brackets and can overflow the
native stack (killing the whole process) a few thousand levels deep, while
CPython itself refuses more than 200 nested parentheses. A character count
over-approximates the depth (brackets inside strings and comments count
too), so it is only a gate: the exact, tokenizer-based count runs only when
that gate is crossed, which real code almost never does.
"""

from __future__ import annotations

import io
import tokenize
from typing import Optional

# CPython's tokenizer limit (MAXLEVEL): "too many nested parentheses".
MAX_BRACKET_DEPTH = 200
_OPEN = {"(", "[", "{"}
_CLOSE = {")", "]", "}"}


def _rough_depth(text: str) -> int:
    depth = deepest = 0
    for char in text:
        if char in "([{":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif char in ")]}" and depth:
            depth -= 1
    return deepest


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
    """A one-line reason when ``text`` nests deeper than Python accepts."""
    if _rough_depth(text) <= MAX_BRACKET_DEPTH:
        return None
    depth = _exact_depth(text)
    if depth > MAX_BRACKET_DEPTH:
        return f"brackets nest {depth} deep; Python accepts at most {MAX_BRACKET_DEPTH}"
    return None
