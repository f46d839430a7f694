"""Pointer files (``latest.pt``, ``best.pt``): the commit records of a checkpoint directory.

A pointer is a tiny weights_only-safe dict naming a checkpoint by its name
inside the same directory::

    {"format": "ckptlint.pointer/1", "file": "epoch=000007.pt", "epoch": 7,
     "step": None, ...}

Writers save :func:`make_pointer`'s dict with ``atomic_save(...,
check_weights_only=True)`` (locally: temp file, fsync, rename, directory
fsync; remotely: a whole-object upload), and only after the checkpoint it
names is complete, so whatever a pointer names is complete.
"""

from __future__ import annotations

import warnings
from typing import Any, Optional

from ._torch import require_torch
from .format import POINTER_FORMAT
from .remote import downloaded, is_remote

__all__ = ["POINTER_FORMAT", "make_pointer", "read_pointer", "is_pointer"]


def is_pointer(payload: Any) -> bool:
    return isinstance(payload, dict) and payload.get("format") == POINTER_FORMAT


def make_pointer(file: str, **fields: Any) -> dict[str, Any]:
    """A pointer to ``file`` (a name in the pointer's own directory), plus ``fields``."""
    return {"format": POINTER_FORMAT, "file": file, **fields}


def _load(path: str) -> Any:
    torch = require_torch()
    if is_remote(path):
        with downloaded(path) as local:
            return torch.load(local, map_location="cpu", weights_only=True)
    return torch.load(path, map_location="cpu", weights_only=True)


def read_pointer(path: str) -> Optional[dict[str, Any]]:
    """The pointer at ``path``; None (with a RuntimeWarning if unreadable) when there is none."""
    try:
        pointer = _load(path)
    except FileNotFoundError:
        return None
    except Exception as exc:
        warnings.warn(f"ignoring unreadable pointer {path}: {type(exc).__name__}: {exc}",
                      RuntimeWarning, stacklevel=3)
        return None
    if not is_pointer(pointer):
        warnings.warn(f"ignoring {path}: not a ckptlint pointer file", RuntimeWarning, stacklevel=3)
        return None
    return pointer
