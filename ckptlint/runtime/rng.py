"""Capture and restore every RNG this process uses, in a weights_only-safe form.

The state is a dict of tensors, ints, floats, strings, tuples and lists only,
so ``torch.load(path, weights_only=True)`` reads it back with no allowlist:

    {"format": "ckptlint.rng/1", "rank": int,
     "python": random.getstate(), "torch": ByteTensor,
     "cuda": [ByteTensor per device], "numpy": {...} or None,
     "generators": {name: ByteTensor}}

numpy's legacy state holds a uint32 ndarray, which the safe unpickler refuses;
it is stored as ``{"bit_generator": str, "keys": int64 tensor, "pos": int,
"has_gauss": int, "cached_gaussian": float}``. ``torch.Generator`` objects are
never stored, only their ``get_state()`` tensors.

Neither function performs a collective: they may be called inside
``if rank == 0:`` (the CKPT104 fix does so).
"""

from __future__ import annotations

import random
import warnings
from typing import Any, Mapping, Optional

from ._torch import optional_numpy, require_torch
from .distributed import get_rank
from .errors import CheckpointFormatError
from .format import RNG_FORMAT
from .seeding import registered_generators

__all__ = ["capture_rng_state", "restore_rng_state", "RNG_FORMAT"]


def _all_generators(generators: Optional[Mapping[str, Any]]) -> dict[str, Any]:
    """Registered generators, overridden/extended by the ones passed explicitly."""
    found = registered_generators()
    if generators:
        found.update(generators)
    return found


def _capture_numpy() -> Optional[dict[str, Any]]:
    np = optional_numpy()
    if np is None:
        return None
    torch = require_torch()
    name, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)
    return {
        "bit_generator": str(name),
        "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64).copy()),
        "pos": int(pos),
        "has_gauss": int(has_gauss),
        "cached_gaussian": float(cached),
    }


def capture_rng_state(generators: Optional[Mapping[str, Any]] = None) -> dict[str, Any]:
    """Return this process's RNG state (see the module docstring for the format).

    ``generators`` maps names to extra ``torch.Generator`` objects to include;
    generators made by :func:`make_generator` are always included. Records
    :func:`get_rank` so that restoring on another rank warns. CUDA states are
    captured for every visible device when CUDA is available
    (``torch.cuda.get_rng_state_all()``; untested here: CPU-only torch).
    """
    torch = require_torch()
    cuda = list(torch.cuda.get_rng_state_all()) if torch.cuda.is_available() else []
    python_state = random.getstate()
    return {
        "format": RNG_FORMAT,
        "rank": get_rank(),
        "python": (python_state[0], tuple(python_state[1]), python_state[2]),
        "torch": torch.get_rng_state(),
        "cuda": cuda,
        "numpy": _capture_numpy(),
        "generators": {
            name: gen.get_state() for name, gen in sorted(_all_generators(generators).items())
        },
    }


def _check_format(state: Any) -> None:
    if not isinstance(state, Mapping) or state.get("format") != RNG_FORMAT:
        found = state.get("format") if isinstance(state, Mapping) else type(state).__name__
        raise CheckpointFormatError(
            f"not an RNG state from capture_rng_state() (format {found!r}, expected {RNG_FORMAT!r})"
        )


def _restore_numpy(saved: Optional[Mapping[str, Any]]) -> None:
    if saved is None:
        return
    np = optional_numpy()
    if np is None:
        warnings.warn("the RNG state holds a numpy state but numpy is not installed; skipped",
                      RuntimeWarning, stacklevel=3)
        return
    keys = saved["keys"]
    keys = keys.numpy() if hasattr(keys, "numpy") else np.asarray(keys)
    np.random.set_state((saved["bit_generator"], keys.astype(np.uint32), int(saved["pos"]),
                         int(saved["has_gauss"]), float(saved["cached_gaussian"])))


def _restore_cuda(torch: Any, saved: list[Any]) -> None:
    if not saved:
        return
    if not torch.cuda.is_available():
        warnings.warn(f"the RNG state holds {len(saved)} CUDA device state(s) but CUDA is not "
                      "available here; skipped", RuntimeWarning, stacklevel=3)
        return
    count = torch.cuda.device_count()
    if count != len(saved):
        warnings.warn(f"the RNG state holds {len(saved)} CUDA device state(s) but {count} "
                      f"device(s) are visible; restoring the first {min(count, len(saved))}",
                      RuntimeWarning, stacklevel=3)
    for device, state in enumerate(saved[:count]):
        torch.cuda.set_rng_state(state.cpu(), device)


def _restore_generators(saved: Mapping[str, Any], generators: Optional[Mapping[str, Any]]) -> None:
    live = _all_generators(generators)
    for name, state in saved.items():
        gen = live.get(name)
        if gen is None:
            warnings.warn(f"the RNG state holds generator {name!r} but no live generator has "
                          "that name (create it with make_generator(seed, name=...) before "
                          "restoring); its state was not restored", RuntimeWarning, stacklevel=3)
            continue
        gen.set_state(state.cpu())


def restore_rng_state(state: Mapping[str, Any], generators: Optional[Mapping[str, Any]] = None,
                      *, _check_rank: bool = True) -> None:
    """Restore a state from :func:`capture_rng_state`.

    Raises :class:`CheckpointFormatError` for anything else. Warns (and still
    restores) when the state was captured on another rank, when the number of
    CUDA devices differs, or when a saved generator has no live counterpart
    (create the loader's generator with the same ``name`` before restoring).
    """
    _check_format(state)
    torch = require_torch()
    saved_rank = state.get("rank", 0)
    if _check_rank and saved_rank != get_rank():
        warnings.warn(f"restoring the RNG state of rank {saved_rank} on rank {get_rank()}: "
                      "the ranks will draw correlated random numbers", RuntimeWarning, stacklevel=2)
    version, internal, gauss = state["python"]
    random.setstate((int(version), tuple(int(x) for x in internal), gauss))
    torch.set_rng_state(state["torch"].cpu().to(torch.uint8))
    _restore_cuda(torch, list(state.get("cuda") or []))
    _restore_numpy(state.get("numpy"))
    _restore_generators(state.get("generators") or {}, generators)
