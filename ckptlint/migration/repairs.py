"""Rewrite a loaded payload into values ``torch.load(weights_only=True)`` reads back.

Every other key and value is kept as it is. What changes, and into what:

* ``argparse.Namespace`` / ``types.SimpleNamespace`` -> a dict of its attributes;
* numpy scalars -> Python numbers (``.item()``); numpy arrays -> tensors
  (``torch.from_numpy``), or lists for dtypes torch has no tensor of
  (strings, objects);
* ``TorchVersion`` and ``pathlib`` paths -> ``str``; ``datetime``/``date``/
  ``time`` -> ISO strings, ``timedelta`` -> seconds; a ``torch.Generator`` ->
  its ``get_state()`` tensor;
* (``--trust`` only) a pickled ``nn.Module`` -> its ``state_dict()`` (unwrapped
  from DDP/DataParallel/``torch.compile`` first), any other object with a
  ``state_dict()`` (an optimizer, a scheduler, a scaler) -> that state dict;
  other mappings and sequences (``defaultdict``, OmegaConf containers) ->
  plain dicts and lists;
* the wrapper prefixes (``module.``, ``_orig_mod.``) shared by every key of a
  top-level state dict are removed (CKPT107).

Any other object cannot be repaired: it is named, and the file is not
written. Changes are summarised per kind (``numpy.float64 -> float: 3 values
(`best`, `metrics['loss']`, ...)``) so a large payload gives a short report.
"""

from __future__ import annotations

import argparse
import datetime
import pathlib
import types
from collections import Counter, OrderedDict, defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional, Sequence

from ckptlint.inspection.tensors import is_state_dict, wrapper_prefix
from ckptlint.runtime.checkpoint import unwrap_model
from ckptlint.runtime.upgrades import KeyRenames, rename_model_keys

__all__ = ["Repairs", "repair_payload"]

_SHOWN = 3


@dataclass
class Repairs:
    """What repairing a payload did (changes by kind, with example locations) and could not do."""

    changes: dict[str, list[str]] = field(default_factory=dict)  # "A -> B" -> locations
    notes: list[str] = field(default_factory=list)  # one-off changes, already phrased
    unrepairable: list[str] = field(default_factory=list)

    def record(self, kind: str, where: str) -> None:
        self.changes.setdefault(kind, []).append(where)

    def lines(self) -> list[str]:
        out = []
        for kind, places in self.changes.items():
            if places == [""]:
                out.append(f"{kind}: the whole file")
                continue
            shown = ", ".join(f"`{p}`" for p in places[:_SHOWN])
            more = f", ... {len(places) - _SHOWN} more" if len(places) > _SHOWN else ""
            count = f"{len(places)} values" if len(places) > 1 else "1 value"
            out.append(f"{kind}: {count} ({shown}{more})")
        return out + self.notes

    @property
    def changed(self) -> bool:
        return bool(self.changes or self.notes)


def _name(value: Any) -> str:
    cls = type(value)
    return f"{cls.__module__}.{cls.__qualname__}"


def _torch() -> Any:
    import torch
    return torch


def _safe_leaf(value: Any) -> bool:
    torch = _torch()
    return type(value) in (type(None), bool, int, float, complex, str, bytes, bytearray,
                           torch.Tensor, torch.nn.Parameter, torch.Size, torch.dtype, torch.device)


def _numpy_value(value: Any) -> Optional[Any]:
    """The builtin or tensor for a numpy scalar, array or dtype; None for anything else."""
    module = type(value).__module__
    if module != "numpy" and not module.startswith("numpy."):
        return None
    if type(value).__name__ == "ndarray":
        if value.dtype.kind in "biufc":  # bool, ints, floats, complex: a tensor of the same dtype
            return _torch().from_numpy(value.copy())
        return value.tolist()
    if module == "numpy.dtypes" or type(value).__name__ == "dtype":
        return str(value)
    return value.item() if hasattr(value, "item") else None


def _plain(value: Any) -> Optional[Any]:
    """Data classes that need no trust: the replacement, or None when ``value`` is none of them."""
    torch = _torch()
    if isinstance(value, (argparse.Namespace, types.SimpleNamespace)):
        return dict(vars(value))
    if isinstance(value, torch.torch_version.TorchVersion) or isinstance(value, pathlib.PurePath):
        return str(value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, torch.Generator):
        return value.get_state()
    return _numpy_value(value)


def _trusted_object(value: Any) -> Optional[Any]:
    """Objects only a trusted (weights_only=False) load produces: modules, stateful objects."""
    torch = _torch()
    if isinstance(value, torch.nn.Module):
        return unwrap_model(value).state_dict()
    if callable(getattr(value, "state_dict", None)):
        return value.state_dict()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return list(value)
    return None


def _converter(repairs: Repairs) -> Callable[[Any, str], Any]:
    def convert(value: Any, where: str) -> Any:
        if _safe_leaf(value):
            return value
        kind = type(value)
        if kind in (dict, OrderedDict, Counter) or isinstance(value, defaultdict):
            out = dict() if isinstance(value, defaultdict) else kind()
            if isinstance(value, defaultdict):
                repairs.record("collections.defaultdict -> dict", where)
            for key, sub in value.items():
                out[convert(key, f"{where}[{key!r}]")] = convert(sub, f"{where}[{key!r}]")
            return out
        if kind in (list, tuple, set):
            return kind(convert(sub, f"{where}[{i}]") for i, sub in enumerate(value))
        replacement = _plain(value)
        if replacement is None:
            replacement = _trusted_object(value)
        if replacement is None:
            repairs.unrepairable.append(f"`{where}` is a {_name(value)}, which "
                                        "torch.load(weights_only=True) cannot read")
            return value
        repairs.record(f"{_name(value)} -> {_describe(replacement)}", where)
        return convert(replacement, where)
    return convert


def _describe(value: Any) -> str:
    torch = _torch()
    if isinstance(value, torch.Tensor):
        return "tensor"
    if isinstance(value, dict) and value and all(isinstance(v, torch.Tensor) for v in value.values()):
        return "its state_dict()"
    return type(value).__name__


def _strip_prefix(state: Mapping[str, Any], where: str, repairs: Repairs) -> dict[str, Any]:
    prefix = wrapper_prefix(state.keys())
    if not prefix:
        return dict(state)
    repairs.notes.append(f"{f'`{where}`' if where else 'the whole file'}: removed the `{prefix}` "
                         f"prefix from every key ({len(state)} keys)")
    return {key[len(prefix):]: value for key, value in state.items()}


def _renamed(state: Mapping[str, Any], where: str, renames: Optional[KeyRenames],
             repairs: Repairs) -> dict[str, Any]:
    out = rename_model_keys(state, renames)
    changed = len(set(state) - set(out))
    if changed:
        repairs.notes.append(f"{f'`{where}`' if where else 'the whole file'}: renamed {changed} "
                             "keys (--rename)")
    return out


def _model_state(state: Mapping[str, Any], where: str, renames: Optional[KeyRenames],
                 repairs: Repairs) -> dict[str, Any]:
    return _renamed(_strip_prefix(state, where, repairs), where, renames, repairs)


def repair_payload(payload: Any, renames: Optional[KeyRenames] = None) -> tuple[Any, Repairs]:
    """The repaired payload and what was done (see the module docstring)."""
    repairs = Repairs()
    convert = _converter(repairs)
    if not isinstance(payload, Mapping) or is_state_dict(payload):
        fixed = convert(payload, "")
        if is_state_dict(fixed):
            fixed = _model_state(fixed, "", renames, repairs)
        return fixed, repairs
    fixed = {}
    for key, value in payload.items():
        value = convert(value, str(key))
        fixed[key] = _model_state(value, str(key), renames, repairs) if is_state_dict(value) else value
    return fixed, repairs
