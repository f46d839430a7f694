"""Recognise a state dict and count what is in it."""

from __future__ import annotations

import collections
from typing import Any, Dict, Mapping

from ckptlint.inspection.layouts import EXTRA_STATE_SUFFIX
from ckptlint.runtime.format import WRAPPER_PREFIXES
from ckptlint.inspection.report import Weights


def is_tensor(value: Any) -> bool:
    import torch

    return isinstance(value, torch.Tensor)


def is_state_dict(value: Any) -> bool:
    """A non-empty mapping of string keys to tensors (a module's ``_extra_state`` aside)."""
    if not isinstance(value, Mapping) or not value:
        return False
    tensors = 0
    for key, item in value.items():
        if not isinstance(key, str):
            return False
        if is_tensor(item):
            tensors += 1
        elif not key.endswith(EXTRA_STATE_SUFFIX):
            return False
    return tensors > 0


def wrapper_prefix(keys: Any) -> str:
    """The wrapper prefixes every key shares, outermost first ("module._orig_mod."), or ""."""
    keys = list(keys)
    prefix = ""
    while keys:
        shared = next((p for p in WRAPPER_PREFIXES if all(k.startswith(p) for k in keys)), None)
        if shared is None:
            break
        prefix += shared
        keys = [k[len(shared):] for k in keys]
    return prefix


def summarise_state_dict(location: str, state: Mapping[str, Any], is_model: bool,
                         saved_locations: Mapping[int, str]) -> Weights:
    """Count tensors, parameters and bytes; a storage view shared by several keys
    (tied embeddings) counts once towards parameters and bytes."""
    tensors = [value for value in state.values() if is_tensor(value)]
    seen = set()
    parameters = nbytes = 0
    dtypes: Dict[str, int] = collections.Counter()
    devices = set()
    for tensor in tensors:
        address = _storage_address(tensor)
        dtypes[str(tensor.dtype).replace("torch.", "")] += 1
        devices.add(saved_locations.get(address, str(tensor.device)))
        view = (address, tensor.storage_offset() if address else 0, tensor.numel())
        if address and view in seen:
            continue
        seen.add(view)
        parameters += tensor.numel()
        nbytes += tensor.numel() * tensor.element_size()
    return Weights(location=location, is_model=is_model, tensors=len(tensors), parameters=parameters,
                   bytes=nbytes, dtypes=dict(dtypes.most_common()), devices=tuple(sorted(devices)),
                   prefix=wrapper_prefix(state.keys()))


def _storage_address(tensor: Any) -> int:
    """Where the tensor's storage data starts; 0 for layouts without one storage (sparse)."""
    try:
        return tensor.untyped_storage().data_ptr()
    except (RuntimeError, NotImplementedError):
        return 0
