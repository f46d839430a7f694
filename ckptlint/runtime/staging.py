"""A CPU copy of a checkpoint payload, so the training loop can go on while it is written.

An asynchronous save must not write tensors the next ``optimizer.step()``
changes in place, nor dicts the loop edits (``param_groups[i]["lr"]``), so
the payload is copied first, on the calling thread: every dict, list and
tuple is rebuilt, and every tensor gets CPU memory of its own (the only part
of an asynchronous save that blocks, as with DCP's ``async_save`` staging and
Orbax). Tensors that share a storage (tied weights, views) still share one
copied storage, so the file is no larger than a synchronous save's.

The copy's storages are kept after the write and reused by the next
asynchronous save (when the sizes match, as they do save after save): a
fresh allocation costs page faults that take longer than the copy itself
(measured: 0.55 s against 0.11 s for 512 MiB). This is DCP's
``cache_staged_state_dict`` and torchtitan's ``async_with_pinned_mem``; the
memory cost is one copy of the state between saves, which an asynchronous
save needs at its peak anyway. :func:`release` frees it
(``CheckpointManager.close()`` calls it). A snapshot is only taken once the
previous asynchronous write finished (:mod:`.background`), so a reused
storage is never still being written. CUDA tensors are copied into pinned
memory (untested here: no GPU in the test suite).
"""

from __future__ import annotations

import threading
from typing import Any

from ._torch import require_torch

__all__ = ["snapshot", "release"]

_pool: dict[tuple[int, bool], list[Any]] = {}  # (nbytes, pinned) -> storages of the last copy
_guard = threading.Lock()


def release() -> None:
    """Free the storages kept for the next asynchronous save."""
    with _guard:
        _pool.clear()


def _buffer(nbytes: int, pinned: bool, spare: dict[tuple[int, bool], list[Any]]) -> Any:
    torch = require_torch()
    reusable = spare.get((nbytes, pinned))
    if reusable:
        return reusable.pop()
    return torch.empty(nbytes, dtype=torch.uint8, pin_memory=pinned).untyped_storage()


def _copy_tensor(tensor: Any, copies: dict[tuple[str, int], Any],
                 spare: dict[tuple[int, bool], list[Any]]) -> Any:
    torch = require_torch()
    data = tensor.detach()
    if data.layout != torch.strided or data.is_quantized or data.is_meta:
        return data.to("cpu", copy=True)  # no single plain storage to share
    storage = data.untyped_storage()
    key = (str(storage.device), storage.data_ptr())
    copy = copies.get(key)
    if copy is None:
        pinned = storage.device.type == "cuda"
        copy = copies[key] = _buffer(storage.nbytes(), pinned, spare)
        copy.copy_(storage)
    view = torch.empty(0, dtype=data.dtype)
    return view.set_(copy, data.storage_offset(), data.size(), data.stride())


def snapshot(value: Any) -> Any:
    """A deep copy of ``value`` with every tensor in CPU memory of its own."""
    torch = require_torch()
    copies: dict[tuple[str, int], Any] = {}
    with _guard:
        spare = {key: list(storages) for key, storages in _pool.items()}
        _pool.clear()

    def copy(item: Any) -> Any:
        if isinstance(item, torch.Tensor):
            return _copy_tensor(item, copies, spare)
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

    result = copy(value)
    with _guard:
        for storage in copies.values():
            _pool.setdefault((storage.nbytes(), storage.is_pinned()), []).append(storage)
    return result
