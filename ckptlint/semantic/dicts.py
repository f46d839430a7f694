"""Dict-shaped expressions: literal keys, `x["k"]` / `x.get("k")` reads, `X.state_dict()` calls.

Shared by the checkpoint facts (what a save writes) and the restore-side
lookups (which `set_rng_state(ckpt["k"])` reads a saved key).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import libcst as cst

if TYPE_CHECKING:
    from ckptlint.semantic.model import SemanticModel


def is_dict_builder(model: "SemanticModel", expr: cst.BaseExpression) -> bool:
    """A dict literal or a `dict(...)` call."""
    if isinstance(expr, cst.Dict):
        return True
    return isinstance(expr, cst.Call) and model.qualname(expr.func) == "builtins.dict"


def is_state_dict_call(value: cst.BaseExpression) -> bool:
    return (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Attribute)
        and value.func.attr.value == "state_dict"
    )


def string_value(node: Optional[cst.BaseExpression]) -> Optional[str]:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def subscript_key(target: cst.Subscript) -> Optional[str]:
    if len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index):
        return string_value(target.slice[0].slice.value)
    return None


def reads_key(expr: cst.BaseExpression, key: str) -> bool:
    if isinstance(expr, cst.Subscript):
        return subscript_key(expr) == key or reads_key(expr.value, key)
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "get":
        return bool(expr.args) and string_value(expr.args[0].value) == key
    return False
