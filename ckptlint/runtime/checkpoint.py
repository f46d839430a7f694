"""save_checkpoint / load_checkpoint: one weights_only-safe file per checkpoint.

Payload (format ``ckptlint.checkpoint/1``)::

    {"format", "meta": {"torch": str, "python": str, "ckptlint": str,
                        "world_size": int, "saved_at": float},
     "epoch": int, "step": int | None, "model": state_dict,
     "optimizer" / "scheduler" / "scaler": state_dict | None,
     "rng": {"world_size": int, "per_rank": [capture_rng_state() per rank]},
     "extra": {...}}

``epoch`` is the index of the epoch *just completed*; ``load_checkpoint``
returns ``next_epoch = epoch + 1``, the first epoch still to run, so
``for epoch in range(info.next_epoch, n)`` neither repeats nor skips one.

``path`` may be an fsspec URL (``s3://...``): the file is written locally and
uploaded whole, and downloaded whole before loading (:mod:`.remote`).
Sharded models (FSDP, DTensor) use :mod:`.sharded` instead.
"""

from __future__ import annotations

import os
import pickle
import platform
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Optional, Union

from .. import __version__ as _ckptlint_version
from ._torch import require_torch
from ._validate import check_weights_only_safe
from .atomic import atomic_save, check_zip_structure, unsafe_globals
from .distributed import dist_if_initialized, get_rank, get_world_size, run_on_main
from .errors import (CheckpointCorruptError, CheckpointError, CheckpointFormatError,
                     CheckpointMismatchError)
from .pointer import is_pointer
from .remote import downloaded, is_remote, local_path, sibling
from .rng import capture_rng_state, restore_rng_state

__all__ = ["save_checkpoint", "load_checkpoint", "ResumeInfo", "CHECKPOINT_FORMAT"]

CHECKPOINT_FORMAT = "ckptlint.checkpoint/1"
_FORMAT_PREFIX = "ckptlint.checkpoint/"
_WRAPPER_PREFIXES = ("module.", "_orig_mod.")
PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class ResumeInfo:
    """What ``load_checkpoint`` found. ``next_epoch`` is where to resume.

    ``missing_keys``/``unexpected_keys`` are the model keys reported by
    ``load_state_dict`` (always empty with ``strict=True``, which raises).
    """

    next_epoch: int
    epoch: int
    step: Optional[int]
    extra: dict[str, Any]
    meta: dict[str, Any]
    path: str
    missing_keys: list[str] = field(default_factory=list)
    unexpected_keys: list[str] = field(default_factory=list)


def unwrap_model(model: Any) -> Any:
    """Strip ``torch.compile`` (``_orig_mod``) and DDP/DataParallel (``.module``) wrappers."""
    torch = require_torch()
    wrappers = (torch.nn.parallel.DistributedDataParallel, torch.nn.DataParallel)
    while True:
        if type(model).__name__ == "FullyShardedDataParallel":
            raise CheckpointError("FSDP models are sharded: save them with "
                                  "save_sharded_checkpoint, not save_checkpoint (CKPT305)")
        if isinstance(model, wrappers):
            model = model.module
        elif hasattr(model, "_orig_mod") and isinstance(model, torch.nn.Module):
            model = model._orig_mod
        else:
            return model


def _strip_prefixes(state: dict[str, Any]) -> dict[str, Any]:
    """Remove wrapper prefixes shared by every key (files written by other tools)."""
    changed = True
    while changed and state:
        changed = False
        for prefix in _WRAPPER_PREFIXES:
            if all(k.startswith(prefix) for k in state):
                state = {k[len(prefix):]: v for k, v in state.items()}
                changed = True
    return state


def check_counters(epoch: Any, step: Any) -> None:
    """Reject an epoch/step that is not a non-negative int (bool included)."""
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
        raise TypeError(f"epoch must be an int >= 0 (the epoch just completed), got {epoch!r}")
    if step is not None and (isinstance(step, bool) or not isinstance(step, int) or step < 0):
        raise TypeError(f"step must be None or an int >= 0, got {step!r}")


def state_or_none(obj: Any) -> Any:
    return None if obj is None else obj.state_dict()



def checkpoint_meta(world_size: int) -> dict[str, Any]:
    """The ``meta`` entry of every ckptlint checkpoint (all values weights_only-safe)."""
    torch = require_torch()
    return {"torch": str(torch.__version__), "python": platform.python_version(),
            "ckptlint": str(_ckptlint_version), "world_size": world_size,
            "saved_at": time.time()}


def _build_payload(model: Any, optimizer: Any, scheduler: Any, scaler: Any, epoch: int,
                   step: Optional[int], extra: dict[str, Any], rng: list[Any]) -> dict[str, Any]:
    payload = {
        "format": CHECKPOINT_FORMAT,
        "meta": checkpoint_meta(len(rng)),
        "epoch": epoch, "step": step, "model": unwrap_model(model).state_dict(),
        "optimizer": state_or_none(optimizer), "scheduler": state_or_none(scheduler),
        "scaler": state_or_none(scaler), "rng": {"world_size": len(rng), "per_rank": rng},
        "extra": extra,
    }
    for key in ("optimizer", "scheduler", "scaler"):  # name the offending key if any
        check_weights_only_safe(payload[key], key)
    return payload


def _gather_rng(local: dict[str, Any], local_error: Optional[str]) -> list[Any]:
    """Every rank's (rng, error) on every rank; a list of one without a group."""
    dist = dist_if_initialized()
    if dist is None:
        return [(local, local_error)]
    gathered: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(gathered, (local, local_error))
    return gathered


def save_checkpoint(path: PathLike, *, model: Any, optimizer: Any = None, scheduler: Any = None,
                    scaler: Any = None, epoch: int, step: Optional[int] = None,
                    **extra: Any) -> str:
    """Save a resumable checkpoint atomically; a collective under a process group.

    ``extra`` values must be loadable with ``weights_only=True``: they are
    checked by exact type first, and an :class:`UnsafeCheckpointValueError`
    (a ``TypeError``) names the key and nothing is written. Under a process
    group every rank must call this: each rank's RNG state is gathered to rank
    0, which alone writes (through :func:`atomic_save`, with a weights_only
    scan before the rename); rank 0's error is then broadcast, so a failed
    write raises on every rank and a success returns on every rank after the
    file is in place (the call doubles as the post-save barrier). Without a
    group, only :func:`is_main_process` (which reads ``RANK``/``LOCAL_RANK``)
    writes. Returns the path written.
    """
    check_counters(epoch, step)
    local_error: Optional[str] = None
    local_exc: Optional[BaseException] = None
    local_rng: Optional[dict[str, Any]] = None
    try:
        check_weights_only_safe(extra, "extra")
        local_rng = capture_rng_state()
    except Exception as exc:
        local_error, local_exc, local_rng = f"{type(exc).__name__}: {exc}", exc, None
    gathered = _gather_rng(local_rng, local_error)
    if local_exc is not None:
        raise local_exc
    failed = [(rank, err) for rank, (_, err) in enumerate(gathered) if err is not None]
    if failed:
        raise CheckpointError(f"save_checkpoint({os.fspath(path)}) not written: rank "
                              f"{failed[0][0]} failed: {failed[0][1]}")
    rng = [state for state, _ in gathered]

    def write() -> str:
        payload = _build_payload(model, optimizer, scheduler, scaler, epoch, step, extra, rng)
        return atomic_save(payload, path, check_weights_only=True)

    run_on_main(write, f"write checkpoint {os.fspath(path)}")
    return str(path) if is_remote(path) else os.path.realpath(local_path(path))


def _describe_missing(path: str) -> str:
    if os.path.isdir(path):
        return (f"checkpoint {path} is a directory, not a file (a sharded checkpoint? load it "
                "with load_sharded_checkpoint)")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        return f"checkpoint {path} does not exist (nor does its directory {directory})"
    names = sorted(n for n in os.listdir(directory) if not n.startswith("."))
    shown = ", ".join(names[:20]) + (", ..." if len(names) > 20 else "")
    return f"checkpoint {path} does not exist; {directory} holds: [{shown}]"


def read_checkpoint_file(path: str, map_location: Any = "cpu", mmap: bool = False,
                         follow_pointer: bool = True) -> dict[str, Any]:
    """Load and check a ckptlint checkpoint with ``weights_only=True``.

    A ``latest.pt``/``best.pt`` pointer written by CheckpointManager is
    followed (one level) to the checkpoint it names, the way Lightning's
    ``ckpt_path="last"`` resolves to a real checkpoint.

    Normalises every failure: FileNotFoundError (listing the folder),
    CheckpointCorruptError (empty or truncated, with the size),
    CheckpointFormatError (unsafe globals, or not a ckptlint checkpoint).
    A remote URL is downloaded whole into a local temporary file first.
    """
    path = path if is_remote(path) else local_path(path)
    payload = _load_any(path, map_location, mmap)
    if follow_pointer and is_pointer(payload):
        return read_checkpoint_file(sibling(path, str(payload.get("file"))), map_location, mmap,
                                    follow_pointer=False)
    return _check_payload(path, payload)


def _load_any(path: str, map_location: Any, mmap: bool) -> Any:
    if is_remote(path):
        with downloaded(path) as local:  # mmap of a file deleted on exit: never
            return _read_local(local, path, map_location, mmap=False)
    return _read_local(path, path, map_location, mmap)


def _read_local(path: str, label: str, map_location: Any, mmap: bool) -> Any:
    """torch.load a local file with weights_only=True; every failure named after ``label``."""
    torch = require_torch()
    if not os.path.isfile(path):
        raise FileNotFoundError(_describe_missing(path))
    size = os.path.getsize(path)
    if size == 0:
        raise CheckpointCorruptError(f"{label} is empty (0 bytes): probably a crash during a "
                                     "non-atomic save")
    check_zip_structure(path, label)
    try:
        return torch.load(path, map_location=map_location, weights_only=True, mmap=mmap)
    except pickle.UnpicklingError as exc:
        refused = ", ".join(unsafe_globals(path)) or "unknown"
        raise CheckpointFormatError(f"{label} needs globals that weights_only=True refuses "
                                    f"({refused}); it was not written by save_checkpoint") from exc
    except (RuntimeError, ValueError, EOFError, OSError, KeyError) as exc:
        raise CheckpointCorruptError(f"{label} ({size} bytes) cannot be read: "
                                     f"{type(exc).__name__}: {exc}") from exc


def _check_payload(path: str, payload: Any) -> dict[str, Any]:
    fmt = payload.get("format") if isinstance(payload, dict) else None
    if not isinstance(fmt, str) or not fmt.startswith(_FORMAT_PREFIX):
        keys = sorted(map(str, payload))[:10] if isinstance(payload, dict) else type(payload).__name__
        raise CheckpointFormatError(f"{path} is not a ckptlint checkpoint (format {fmt!r}; "
                                    f"contents: {keys})")
    if fmt != CHECKPOINT_FORMAT:
        raise CheckpointFormatError(f"{path} has format {fmt!r}; this ckptlint reads "
                                    f"{CHECKPOINT_FORMAT!r} (upgrade ckptlint)")
    return payload


def _load_model(path: str, model: Any, state: dict[str, Any], strict: bool) -> tuple[list[str], list[str]]:
    target = unwrap_model(model)
    try:
        result = target.load_state_dict(_strip_prefixes(dict(state)), strict=strict)
    except RuntimeError as exc:
        raise CheckpointMismatchError(f"{path}: the model does not match the checkpoint: {exc}") from exc
    return list(result.missing_keys), list(result.unexpected_keys)


def restore_part(path: str, payload: dict[str, Any], key: str, obj: Any) -> None:
    """Load ``payload[key]`` into ``obj``; an object the checkpoint has no state for is an error."""
    if obj is None:
        return
    if payload.get(key) is None:
        raise CheckpointFormatError(f"{path} holds no {key} state, but a {key} was passed to "
                                    f"load_checkpoint (pass {key}=None to skip it)")
    obj.load_state_dict(payload[key])


def rng_source_rank(path: str, saved_world_size: int) -> int:
    """The saved rank whose RNG this rank restores: its own, or (warning) the last one.

    A world-size change cannot reproduce the run bit for bit; the warning says
    so instead of silently handing several ranks the same stream.
    """
    rank = get_rank()
    if saved_world_size != get_world_size():
        warnings.warn(f"{path} was saved with world size {saved_world_size}, running with "
                      f"{get_world_size()}: rank {rank} restores the RNG state of rank "
                      f"{min(rank, saved_world_size - 1)}; the run will not reproduce bit for bit",
                      RuntimeWarning, stacklevel=4)
    return min(rank, saved_world_size - 1)


def _restore_rank_rng(path: str, rng: dict[str, Any]) -> None:
    """Restore this rank's own RNG state from the per-rank list."""
    per_rank = list(rng.get("per_rank") or [])
    if per_rank:
        restore_rng_state(per_rank[rng_source_rank(path, len(per_rank))], _check_rank=False)


def load_checkpoint(path: PathLike, *, model: Any, optimizer: Any = None, scheduler: Any = None,
                    scaler: Any = None, map_location: Any = "cpu", strict: bool = True,
                    restore_rng: bool = True) -> ResumeInfo:
    """Restore a checkpoint written by :func:`save_checkpoint`; call it on every rank.

    Always loads with ``weights_only=True`` (every rank reads the file from
    shared storage, as Lightning and Accelerate assume). Loads into wrapped or
    unwrapped models alike. Passing an optimizer/scheduler/scaler the file
    does not hold raises :class:`CheckpointFormatError` rather than silently
    skipping it. Restores this rank's own RNG state when ``restore_rng``.
    Returns :class:`ResumeInfo` with ``next_epoch = epoch + 1``.
    """
    path = str(path) if is_remote(path) else local_path(path)
    payload = read_checkpoint_file(path, map_location=map_location)
    missing, unexpected = _load_model(path, model, payload["model"], strict)
    for key, obj in (("optimizer", optimizer), ("scheduler", scheduler), ("scaler", scaler)):
        restore_part(path, payload, key, obj)
    if restore_rng and payload.get("rng"):
        _restore_rank_rng(path, payload["rng"])
    epoch = int(payload["epoch"])
    return ResumeInfo(next_epoch=epoch + 1, epoch=epoch, step=payload.get("step"),
                      extra=dict(payload.get("extra") or {}), meta=dict(payload.get("meta") or {}),
                      path=path, missing_keys=missing, unexpected_keys=unexpected)
