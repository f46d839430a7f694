"""Refuse values that ``torch.load(weights_only=True)`` could not read back.

The check compares *exact* types, because ``isinstance`` is fooled by
subclasses the safe unpickler refuses: ``torch.__version__`` is a
``TorchVersion`` (a ``str`` subclass) and ``np.float64`` is a ``float``
subclass. It walks containers and names the offending key, with a hint.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from typing import Any

from ._torch import require_torch
from .errors import UnsafeCheckpointValueError

# Mirrors what torch's weights_only unpickler allows (torch 2.13): builtins,
# OrderedDict and Counter (MultiStepLR stores its milestones in a Counter).
_BUILTIN_LEAVES = (type(None), bool, int, float, complex, str, bytes, bytearray)
_CONTAINERS = (dict, OrderedDict, Counter, list, tuple, set)


def _safe_leaf_types() -> tuple[type, ...]:
    torch = require_torch()
    return _BUILTIN_LEAVES + (torch.Tensor, torch.nn.Parameter, torch.Size, torch.dtype,
                              torch.device)


def _hint(value: Any) -> str:
    cls = type(value)
    module, name = cls.__module__, cls.__qualname__
    if module == "numpy" or module.startswith("numpy."):
        if name == "ndarray":
            return "convert it with torch.from_numpy(value) or value.tolist()"
        return "convert it with value.item() (or float(value) / int(value))"
    if name == "Namespace":
        return "store vars(args) instead"
    if name == "TorchVersion":
        return "store str(torch.__version__) instead"
    if "Path" in name:
        return "store str(path) instead"
    if name in ("datetime", "date", "time", "timedelta"):
        return "store value.isoformat() or a timestamp float instead"
    if hasattr(value, "state_dict"):
        return "store value.state_dict() instead of the object"
    return "store builtin types (dict, list, str, int, float, ...) or tensors instead"


def check_weights_only_safe(value: Any, where: str) -> None:
    """Raise UnsafeCheckpointValueError naming ``where`` if ``value`` is not loadable."""
    leaves = _safe_leaf_types()
    stack: list[tuple[Any, str]] = [(value, where)]
    while stack:
        item, label = stack.pop()
        cls = type(item)
        if cls in leaves:
            continue
        if cls not in _CONTAINERS:
            raise UnsafeCheckpointValueError(
                f"{label} is a {cls.__module__}.{cls.__qualname__}, which "
                f"torch.load(weights_only=True) cannot read back; {_hint(item)}. Nothing was written.")
        if isinstance(item, dict):
            for key, sub in item.items():
                if type(key) not in leaves:
                    raise UnsafeCheckpointValueError(
                        f"{label} has a key of type {type(key).__qualname__} ({key!r}), which "
                        "weights_only=True cannot read back; use str or int keys. Nothing was written.")
                stack.append((sub, f"{label}[{key!r}]"))
        else:
            stack.extend((sub, f"{label}[{i}]") for i, sub in enumerate(item))
