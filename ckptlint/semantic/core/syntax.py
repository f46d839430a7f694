"""Questions about syntax alone: literal keys, `x["k"]` reads, `X.state_dict()`, callee names.

No names are resolved here; every helper looks at the nodes it is given.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst


def string_value(node: Optional[cst.BaseExpression]) -> Optional[str]:
    """The value of a string literal (plain or implicitly concatenated); None otherwise."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def subscript_key(target: cst.Subscript) -> Optional[str]:
    """`"k"` in `x["k"]`."""
    if len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index):
        return string_value(target.slice[0].slice.value)
    return None


def reads_key(expr: cst.BaseExpression, key: str) -> bool:
    """``expr`` reads ``key`` from a mapping: `x["key"]`, `x["key"]["sub"]`, `x.get("key", d)`."""
    if isinstance(expr, cst.Subscript):
        return subscript_key(expr) == key or reads_key(expr.value, key)
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "get":
        return bool(expr.args) and string_value(expr.args[0].value) == key
    return False


def is_state_dict_call(value: cst.BaseExpression) -> bool:
    """`X.state_dict()` for any `X`."""
    return isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value == "state_dict"


def callee_name(call: cst.Call) -> Optional[str]:
    """The last name of what ``call`` calls: `save` in `utils.save(...)` and in `save(...)`."""
    return last_name(call.func)


def last_name(expr: cst.BaseExpression) -> Optional[str]:
    """`x` for `x`, `y` for `a.b.y`; None for anything else."""
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    return None


def int_literal(expr: cst.BaseExpression) -> Optional[str]:
    """`"0"` for `0`, `"-1"` for `-1`; None for anything else."""
    if isinstance(expr, cst.Integer):
        return expr.value
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus) and isinstance(expr.expression, cst.Integer):
        return "-" + expr.expression.value
    return None


def is_name(expr: Optional[cst.BaseExpression], value: str) -> bool:
    """``expr`` is the plain name ``value`` (`True`, `None`, `self`...)."""
    return isinstance(expr, cst.Name) and expr.value == value
