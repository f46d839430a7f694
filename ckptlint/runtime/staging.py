"""A CPU copy of a checkpoint payload, so the training loop can go on while it is written.

An asynchronous save must not write tensors the next ``optimizer.step()``
changes in place, nor dicts the loop edits (``param_groups[i]["lr"]``), so
the payload is copied first, on the calling thread: every dict, list and
tuple is rebuilt, and every tensor gets CPU memory of its own (the only part
of an asynchronous save that blocks, as with DCP's ``async_save`` staging and
Orbax). Tensors that share a storage (tied weights, views) still share one
copied storage, so the file is no larger than a synchronous save's. Peak
memory grows by the size of the state until the write completes.
"""

from __future__ import annotations

from typing import Any

from ._torch import require_torch

__all__ = ["snapshot"]


def _copy_tensor(tensor: Any, storages: dict[tuple[str, int], Any]) -> Any:
    torch = require_torch()
    data = tensor.detach()
    if data.layout != torch.strided or data.is_quantized or data.is_meta:
        return data.to("cpu", copy=True)  # no single plain storage to share
    storage = data.untyped_storage()
    key = (str(storage.device), storage.data_ptr())
    copy = storages.get(key)
    if copy is None:
        copy = storages[key] = storage.clone() if storage.device.type == "cpu" else storage.cpu()
    view = torch.empty(0, dtype=data.dtype)
    return view.set_(copy, data.storage_offset(), data.size(), data.stride())


def snapshot(value: Any) -> Any:
    """A deep copy of ``value`` with every tensor in CPU memory of its own."""
    torch = require_torch()
    storages: dict[tuple[str, int], Any] = {}

    def copy(item: Any) -> Any:
        if isinstance(item, torch.Tensor):
            return _copy_tensor(item, storages)
        if isinstance(item, dict):  # dict, OrderedDict, Counter: .copy() keeps the type
            out = item.copy()
            for key, sub in item.items():
                out[key] = copy(sub)
            return out
        if isinstance(item, list):
            return [copy(v) for v in item]
        if isinstance(item, tuple):
            return tuple(copy(v) for v in item)
        if isinstance(item, set):
            return set(item)
        return item  # numbers, strings, None, dtypes, devices: immutable

    return copy(value)
