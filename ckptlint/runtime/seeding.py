"""Seeding: the global RNGs, DataLoader workers, and named generators.

``make_generator`` registers every generator it creates (weakly, by name), so
that :func:`ckptlint.runtime.capture_rng_state` stores its state without the
user passing it around. Names must be stable across runs for a resume to find
the right generator again: pass ``name=``. Without it, generators are named
``generator0``, ``generator1``, ... in creation order, which is stable only
while the resumed run creates them in the same order; the linter's fixes
(CKPT401's ``generator=ckptlint.runtime.make_generator(SEED)``) pass no name,
so they rely on that order too.
"""

from __future__ import annotations

import itertools
import os
import random
import threading
import weakref
from typing import TYPE_CHECKING, Optional, Union

from ._torch import optional_numpy, require_torch

if TYPE_CHECKING:
    import torch

__all__ = ["seed_everything", "seed_worker", "make_generator", "registered_generators"]

_MAX_SEED = 2**64 - 1
_REGISTRY: "weakref.WeakValueDictionary[str, torch.Generator]" = weakref.WeakValueDictionary()
_COUNTER = itertools.count()
_LOCK = threading.Lock()


def _check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if not 0 <= seed <= _MAX_SEED:
        raise ValueError(f"seed must be in [0, 2**64 - 1], got {seed}")
    return seed


def seed_everything(seed: int, deterministic: Union[bool, str] = False) -> int:
    """Seed Python ``random``, numpy (if installed), torch CPU and every CUDA device.

    Also sets ``os.environ["PYTHONHASHSEED"] = str(seed)``. That only affects
    processes started afterwards (DataLoader workers under ``spawn``,
    subprocesses): the running interpreter's hash seed is fixed at start-up and
    cannot be changed. numpy gets ``seed % 2**32`` (its legacy seeding range).

    ``deterministic=True`` additionally sets ``cudnn.deterministic = True``,
    ``cudnn.benchmark = False``, ``torch.use_deterministic_algorithms(True)``
    and, unless already set, ``CUBLAS_WORKSPACE_CONFIG=":4096:8"`` (required by
    cuBLAS for deterministic results). ``deterministic="warn"`` does the same
    with ``warn_only=True``, for models using an op that has no deterministic
    kernel. The default is False (as in the issue): determinism can cost speed,
    so it is opt-in. Returns ``seed``.
    """
    seed = _check_seed(seed)
    torch = require_torch()
    random.seed(seed)
    np = optional_numpy()
    if np is not None:
        np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds every CUDA device (lazily if CUDA is not initialised)
    os.environ["PYTHONHASHSEED"] = str(seed)
    if deterministic:
        _set_deterministic(torch, warn_only=(deterministic == "warn"))
    return seed


def _set_deterministic(torch: "object", warn_only: bool) -> None:
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.backends.cudnn.deterministic = True  # type: ignore[attr-defined]
    torch.backends.cudnn.benchmark = False  # type: ignore[attr-defined]
    torch.use_deterministic_algorithms(True, warn_only=warn_only)  # type: ignore[attr-defined]


def seed_worker(worker_id: int) -> None:
    """``worker_init_fn`` for DataLoader: seed ``random`` and numpy in a worker.

    torch already seeds each worker with ``base_seed + worker_id`` (drawn from
    the loader's generator), but not ``random`` or numpy, so workers would
    otherwise share numpy/random streams. We derive both from
    ``torch.initial_seed() % 2**32``. Module-level so that the ``spawn`` start
    method can pickle it.
    """
    torch = require_torch()
    worker_seed = torch.initial_seed() % 2**32
    random.seed(worker_seed)
    np = optional_numpy()
    if np is not None:
        np.random.seed(worker_seed)


def make_generator(seed: int, name: Optional[str] = None) -> "torch.Generator":
    """A seeded CPU ``torch.Generator``, registered under ``name`` for capture.

    Pass it as ``DataLoader(generator=...)`` so the shuffling order and the
    workers' base seeds no longer depend on the global RNG. Registering it
    means ``capture_rng_state()`` stores its state and ``restore_rng_state()``
    puts it back, which is what makes a resumed run draw the same order. A new
    generator with an existing name replaces the old one in the registry (for
    example a loader rebuilt on resume). The registry holds weak references:
    it never keeps a generator alive.
    """
    seed = _check_seed(seed)
    torch = require_torch()
    generator = torch.Generator()
    generator.manual_seed(seed)
    with _LOCK:
        if name is None:
            name = f"generator{next(_COUNTER)}"
        _REGISTRY[name] = generator
    return generator


def registered_generators() -> "dict[str, torch.Generator]":
    """A snapshot of the live generators made by :func:`make_generator`, by name."""
    with _LOCK:
        return dict(_REGISTRY.items())
