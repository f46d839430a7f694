"""save_checkpoint / load_checkpoint: one weights_only-safe file per checkpoint.

Payload (format ``ckptlint.checkpoint/2``; :mod:`.format` lists the versions)::

    {"format", "meta": {"torch": str, "python": str, "ckptlint": str,
                        "world_size": int, "saved_at": float},
     "epoch": int, "step": int | None, "epoch_complete": bool,
     "model": state_dict,
     "optimizer" / "scheduler" / "scaler": state_dict | None,
     "rng": {"world_size": int, "per_rank": [capture_rng_state() per rank]},
     "extra": {...},
     "checksums": {"algorithm": "crc32", "tensors": {label: int}}}

``epoch`` is the index of the epoch *just completed*; ``load_checkpoint``
returns ``next_epoch = epoch + 1``, the first epoch still to run, so
``for epoch in range(info.next_epoch, n)`` neither repeats nor skips one.
A save in the middle of an epoch (on preemption) passes
``epoch_complete=False``: ``epoch`` is then the epoch in progress and
``next_epoch == epoch`` (``step`` says where inside it).

``asynchronous=True`` copies the state to CPU memory on the calling thread
(:mod:`.staging`), returns an :class:`AsyncSave` handle, and writes in the
background with the same protocol (checksums, weights_only scan, atomic
rename); see :mod:`.background` for waiting and failures.

``path`` may be an fsspec URL (``s3://...``): the file is written locally and
uploaded whole, and downloaded whole before loading (:mod:`.remote`).
Sharded models (FSDP, DTensor) use :mod:`.sharded` instead. Reading
(pointers, format versions, verification, upgrades) is :mod:`.reading`.
"""

from __future__ import annotations

import os
import platform
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Union

from .. import __version__ as _ckptlint_version
from . import background
from ._torch import require_torch
from ._validate import check_weights_only_safe
from .atomic import atomic_save
from .background import AsyncSave
from .distributed import dist_if_initialized, get_rank, get_world_size, run_on_main
from .errors import CheckpointError, CheckpointFormatError, CheckpointMismatchError
from .format import CHECKPOINT_FORMAT, WRAPPER_PREFIXES
from .integrity import checksum_record
from .reading import read_checkpoint_file
from .remote import is_remote, local_path
from .rng import capture_rng_state, restore_rng_state
from .staging import snapshot
from .upgrades import KeyRenames, rename_model_keys

__all__ = ["save_checkpoint", "load_checkpoint", "apply_checkpoint", "ResumeInfo",
           "CHECKPOINT_FORMAT", "read_checkpoint_file"]

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class ResumeInfo:
    """What ``load_checkpoint`` found. ``next_epoch`` is where to resume.

    ``missing_keys``/``unexpected_keys`` are the model keys reported by
    ``load_state_dict`` (always empty with ``strict=True``, which raises).
    ``epoch_complete`` is False for a save made in the middle of ``epoch``
    (then ``next_epoch == epoch``). ``meta["upgraded_from"]`` names the
    format of a file written by an older ckptlint.
    """

    next_epoch: int
    epoch: int
    step: Optional[int]
    extra: dict[str, Any]
    meta: dict[str, Any]
    path: str
    missing_keys: list[str] = field(default_factory=list)
    unexpected_keys: list[str] = field(default_factory=list)
    epoch_complete: bool = True


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
        for prefix in WRAPPER_PREFIXES:
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
                   step: Optional[int], epoch_complete: bool, extra: dict[str, Any],
                   rng: list[Any]) -> dict[str, Any]:
    payload = {
        "format": CHECKPOINT_FORMAT,
        "meta": checkpoint_meta(len(rng)),
        "epoch": epoch, "step": step, "epoch_complete": bool(epoch_complete),
        "model": unwrap_model(model).state_dict(),
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


def _checked_rng(path: PathLike, extra: dict[str, Any]) -> list[Any]:
    """Every rank's RNG state, after every rank's checks; a failure anywhere raises everywhere.

    Rank 0's previous asynchronous write is waited for here, and its failure
    travels with the gather, so it is raised by this call on every rank.
    """
    local_exc: Optional[BaseException] = background.finish_previous()
    local_rng: Optional[dict[str, Any]] = None
    if local_exc is None:
        try:
            check_weights_only_safe(extra, "extra")
            local_rng = capture_rng_state()
        except Exception as exc:
            local_exc = exc
    local_error = None if local_exc is None else f"{type(local_exc).__name__}: {local_exc}"
    gathered = _gather_rng(local_rng, local_error)
    if local_exc is not None:
        raise local_exc
    failed = [(rank, err) for rank, (_, err) in enumerate(gathered) if err is not None]
    if failed:
        raise CheckpointError(f"save_checkpoint({os.fspath(path)}) not written: rank "
                              f"{failed[0][0]} failed: {failed[0][1]}")
    return [state for state, _ in gathered]


def write_payload(payload: dict[str, Any], path: PathLike) -> str:
    """Add the checksums, then write atomically with a weights_only scan before the rename."""
    payload["checksums"] = checksum_record(payload)
    return atomic_save(payload, path, check_weights_only=True)


def write_checkpoint(path: PathLike, *, model: Any, optimizer: Any = None, scheduler: Any = None,
                     scaler: Any = None, epoch: int, step: Optional[int] = None,
                     epoch_complete: bool = True, asynchronous: bool = False,
                     after_write: Optional[Callable[[], None]] = None,
                     **extra: Any) -> Union[str, AsyncSave]:
    """:func:`save_checkpoint`, plus ``after_write``: run on the main process once the file
    is durable (in the background for an asynchronous save). CheckpointManager's pointers
    and retention go there."""
    check_counters(epoch, step)
    rng = _checked_rng(path, extra)
    final = str(path) if is_remote(path) else os.path.realpath(local_path(path))

    def build() -> dict[str, Any]:
        return _build_payload(model, optimizer, scheduler, scaler, epoch, step, epoch_complete,
                              extra, rng)

    def write(payload: dict[str, Any]) -> None:
        write_payload(payload, path)
        if after_write is not None:
            after_write()

    if not asynchronous:
        run_on_main(lambda: write(build()), f"write checkpoint {os.fspath(path)}")
        return final

    def start() -> None:
        copy = snapshot(build())  # the only part that blocks the caller
        background.start(final, lambda: write(copy))

    run_on_main(start, f"start the asynchronous save of {os.fspath(path)}")
    return AsyncSave(final)


def save_checkpoint(path: PathLike, *, model: Any, optimizer: Any = None, scheduler: Any = None,
                    scaler: Any = None, epoch: int, step: Optional[int] = None,
                    epoch_complete: bool = True, asynchronous: bool = False,
                    **extra: Any) -> Union[str, AsyncSave]:
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
    writes. Every tensor's checksum is stored for ``load_checkpoint(verify=True)``.
    ``epoch_complete=False`` marks a save in the middle of ``epoch``.

    Returns the path written; with ``asynchronous=True`` an :class:`AsyncSave`
    handle instead, as soon as the state is copied to CPU memory (rank 0
    writes in the background; the file appears only once complete). Call its
    ``wait()`` (a collective) before reading the file; a failed write raises
    at the next save or ``wait()`` on every rank (:mod:`.background`).
    """
    return write_checkpoint(path, model=model, optimizer=optimizer, scheduler=scheduler,
                            scaler=scaler, epoch=epoch, step=step, epoch_complete=epoch_complete,
                            asynchronous=asynchronous, **extra)


def resume_info(path: str, saved: dict[str, Any], missing: list[str],
                unexpected: list[str]) -> ResumeInfo:
    """Where to resume, from the counters ``saved`` holds (a payload, or a sharded info entry)."""
    epoch = int(saved["epoch"])
    complete = bool(saved.get("epoch_complete", True))  # absent before format 2: every save
    return ResumeInfo(next_epoch=epoch + 1 if complete else epoch, epoch=epoch,
                      step=saved.get("step"), extra=dict(saved.get("extra") or {}),
                      meta=dict(saved.get("meta") or {}), path=path, missing_keys=missing,
                      unexpected_keys=unexpected, epoch_complete=complete)


def _load_model(path: str, model: Any, state: dict[str, Any], strict: bool,
                rename_keys: Optional[KeyRenames]) -> tuple[list[str], list[str]]:
    target = unwrap_model(model)
    state = rename_model_keys(_strip_prefixes(dict(state)), rename_keys)
    try:
        result = target.load_state_dict(state, strict=strict)
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


def _warn_if_pending(path: str) -> None:
    pending = background.pending_path()
    if pending is not None and not is_remote(path) and os.path.realpath(path) == pending:
        warnings.warn(f"loading {path} while an asynchronous save to it is still running: this "
                      "reads the previous file; call wait() on the save's handle first",
                      RuntimeWarning, stacklevel=3)


def apply_checkpoint(path: str, payload: dict[str, Any], *, model: Any, optimizer: Any = None,
                     scheduler: Any = None, scaler: Any = None, strict: bool = True,
                     restore_rng: bool = True,
                     rename_keys: Optional[KeyRenames] = None) -> ResumeInfo:
    """Restore a payload read by :func:`read_checkpoint_file` into the given objects."""
    missing, unexpected = _load_model(path, model, payload["model"], strict, rename_keys)
    for key, obj in (("optimizer", optimizer), ("scheduler", scheduler), ("scaler", scaler)):
        restore_part(path, payload, key, obj)
    if restore_rng and payload.get("rng"):
        _restore_rank_rng(path, payload["rng"])
    return resume_info(path, payload, missing, unexpected)


def load_checkpoint(path: PathLike, *, model: Any, optimizer: Any = None, scheduler: Any = None,
                    scaler: Any = None, map_location: Any = "cpu", strict: bool = True,
                    restore_rng: bool = True, verify: bool = True,
                    rename_keys: Optional[KeyRenames] = None) -> ResumeInfo:
    """Restore a checkpoint written by :func:`save_checkpoint`; call it on every rank.

    Always loads with ``weights_only=True`` (every rank reads the file from
    shared storage, as Lightning and Accelerate assume). Loads into wrapped or
    unwrapped models alike. Passing an optimizer/scheduler/scaler the file
    does not hold raises :class:`CheckpointFormatError` rather than silently
    skipping it. Restores this rank's own RNG state when ``restore_rng``.

    ``verify=True`` (the default) checks every tensor against the checksum
    stored at save time before anything is restored, and raises
    :class:`CheckpointCorruptError` naming the corrupted key (files of format
    1 are checked against the archive's CRC-32s); it costs one pass over the
    data. Files of every earlier format are upgraded as they are read, a file
    from a newer ckptlint is refused (:mod:`.upgrades`). ``rename_keys``
    renames model keys first: ``{"old_prefix.": "new_prefix."}`` or a
    function of one key (returning None drops it).

    Returns :class:`ResumeInfo` with ``next_epoch = epoch + 1`` (``epoch``
    for a mid-epoch save).
    """
    path = str(path) if is_remote(path) else local_path(path)
    _warn_if_pending(path)
    payload = read_checkpoint_file(path, map_location=map_location, verify=verify)
    return apply_checkpoint(path, payload, model=model, optimizer=optimizer, scheduler=scheduler,
                            scaler=scaler, strict=strict, restore_rng=restore_rng,
                            rename_keys=rename_keys)
