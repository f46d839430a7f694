"""Checkpoints written the way earlier ckptlint releases wrote them (fixtures for upgrade tests).

``write_v1`` reproduces ``save_checkpoint`` of format ``ckptlint.checkpoint/1``
field for field (the payload of ckptlint before format 2: no
``epoch_complete``, no ``checksums``). It uses only torch and
``capture_rng_state`` (whose format did not change), never today's writer, so
a change to the writer cannot make the old file look new.
"""

from __future__ import annotations

import platform
import time
from typing import Any, Optional

import torch

from ckptlint.runtime import capture_rng_state


def _state(obj: Any) -> Any:
    return None if obj is None else obj.state_dict()


def write_v1(path, *, model: Any, optimizer: Any = None, scheduler: Any = None,
             scaler: Any = None, epoch: int, step: Optional[int] = None, **extra: Any) -> None:
    payload = {
        "format": "ckptlint.checkpoint/1",
        "meta": {"torch": str(torch.__version__), "python": platform.python_version(),
                 "ckptlint": "0.1.0", "world_size": 1, "saved_at": time.time()},
        "epoch": epoch, "step": step, "model": model.state_dict(),
        "optimizer": _state(optimizer), "scheduler": _state(scheduler), "scaler": _state(scaler),
        "rng": {"world_size": 1, "per_rank": [capture_rng_state()]},
        "extra": extra,
    }
    torch.save(payload, path)
