"""save_sharded_checkpoint / load_sharded_checkpoint: DCP step folders for sharded models.

For models one process cannot hold (FSDP2 ``fully_shard``, FSDP1, DTensor
tensor parallelism), and equally for plain DDP or a single process, on top
of ``torch.distributed.checkpoint`` (DCP) and its ``get_state_dict`` /
``set_model_state_dict`` / ``set_optimizer_state_dict``. Every rank writes
its own shards; nothing is gathered to one rank. Layout of ``dir``::

    latest.pt                       pointer to the last complete step folder
    epoch=000007-step=000001234/    one DCP checkpoint per save, always a fresh folder
        __0_0.distcp __1_0.distcp   each rank's shards (fsynced by DCP)
        .metadata                   written last, by rank 0, after every rank's data
    epoch=000007-step=000001234.1/  a second save of the same epoch/step

Why this shape (RUNTIME.md sections 1.4 and 1.5):

* **A fresh folder per save.** Writing over a DCP folder in place is not
  crash-safe: an interrupted overwrite leaves new data under the old
  ``.metadata``, which loads without error. Rank 0 reserves the folder with
  ``mkdir`` (a second save of the same epoch/step gets a ``.N`` suffix) and
  shares its name.
* **``.metadata`` is the commit record of a folder** (DCP writes it through a
  temporary name and a rename once every rank's data is written); a folder
  without it is never loaded. **``latest.pt`` is the commit record of the
  directory**: rank 0 writes it atomically after DCP's final collective, so
  only once all ranks finished, and the folder's directory entries are fsynced
  first.
* **RNG under rank keys.** DCP keeps one copy of a key that several ranks
  save (it treats it as replicated), so a shared ``"rng"`` key silently
  loses all but one rank's state. Rank ``r`` saves ``rng.rank{r}`` and loads
  its own back (with a world-size change: the last saved rank's, with a
  warning, as :func:`load_checkpoint` does).
* **ckptlint's own entries are weights_only-safe bytes.** ``rng.rank{r}`` and
  ``ckptlint`` (rank 0's ``{"format", "meta", "epoch", "step",
  "epoch_complete", "scheduler", "scaler", "extra"}``, the same fields as
  :func:`save_checkpoint`; ``epoch_complete`` is absent from files written
  before it existed and then means True) are
  ``torch.save`` bytes, read back with ``weights_only=True``. Loading them
  needs no shape template, and ``extra`` is checked before anything is
  written. DCP itself is not weights_only-safe: it reads ``.metadata`` with
  ``pickle`` and non-tensor entries with ``weights_only=False``, so load
  sharded checkpoints only from storage you trust.
* **No ``broadcast_from_rank0``.** Every rank reads its shards from shared
  storage; the model and the optimizer are set by two calls, never by
  ``set_state_dict`` with both (which deadlocks with ``broadcast_from_rank0``
  on torch 2.13).
* **Local or shared filesystems only.** An fsspec URL is refused: DCP's
  fsspec writer creates each rank's objects under their final names, and the
  commit protocol above relies on ``mkdir``, ``rename`` and a listing that
  behave alike on every rank. ``file://`` URLs are local paths.

DCP raises ``CheckpointException``, a ``BaseException`` that ``except
Exception`` misses; it is turned into :class:`CheckpointError` (save),
:class:`CheckpointMismatchError` (a key the model or optimizer needs is not
in the checkpoint) or :class:`CheckpointCorruptError` (load).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import pickle
import re
import shutil
import warnings
from typing import Any, Iterable, Iterator, Optional, Union

from ._torch import require_torch
from ._validate import check_weights_only_safe
from .atomic import atomic_save, fsync_directory
from .checkpoint import (ResumeInfo, check_counters, checkpoint_meta, restore_part, resume_info,
                         rng_source_rank, state_or_none)
from .distributed import dist_if_initialized, get_rank, get_world_size, run_on_all, run_on_main
from .errors import (CheckpointCorruptError, CheckpointError, CheckpointFormatError,
                     CheckpointMismatchError, UnsafeCheckpointValueError)
from .pointer import make_pointer, read_pointer
from .format import DCP_METADATA_NAME, LATEST_NAME, SHARDED_FORMAT, SHARDED_INFO_KEY
from .remote import is_remote, local_path
from .rng import capture_rng_state, restore_rng_state

__all__ = ["save_sharded_checkpoint", "load_sharded_checkpoint", "SHARDED_FORMAT",
           "step_folder_name", "step_folder_order", "is_complete", "step_folders",
           "latest_complete_folder", "remove_superseded_incomplete"]

METADATA_NAME = DCP_METADATA_NAME
INFO_KEY = SHARDED_INFO_KEY
_STEP_FOLDER = re.compile(r"^epoch=(\d+)(?:-step=(\d+))?(?:\.(\d+))?$")
_RNG_KEY = re.compile(r"^rng\.rank(\d+)$")
PathLike = Union[str, "os.PathLike[str]"]


# -- step folders ---------------------------------------------------------------
def step_folder_name(epoch: int, step: Optional[int]) -> str:
    """``epoch=NNNNNN`` or ``epoch=NNNNNN-step=NNNNNNNNN`` (sorts by name too)."""
    return f"epoch={epoch:06d}" if step is None else f"epoch={epoch:06d}-step={step:09d}"


def step_folder_order(name: str) -> Optional[tuple[int, int, int]]:
    """(epoch, step, repeat) of a step folder name, or None for any other name."""
    match = _STEP_FOLDER.match(name)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2) or -1), int(match.group(3) or 0)


def is_complete(folder: str) -> bool:
    """A step folder counts only once DCP wrote its ``.metadata`` (after every rank's data)."""
    return os.path.isfile(os.path.join(folder, METADATA_NAME))


def step_folders(root: str) -> list[str]:
    """Names of the step folders in ``root``, oldest first, complete or not."""
    try:
        names = [n for n in os.listdir(root) if step_folder_order(n) is not None
                 and os.path.isdir(os.path.join(root, n))]
    except FileNotFoundError:
        return []
    return sorted(names, key=step_folder_order)


def _local_root(path: PathLike) -> str:
    if is_remote(path):
        raise ValueError(f"sharded checkpoints need a local or shared filesystem path, not {path}: "
                         "the commit protocol (fresh folder, .metadata, latest.pt) relies on "
                         "mkdir/rename semantics object stores do not have. Use save_checkpoint "
                         "for a single-file checkpoint at a URL, or write to a mounted filesystem.")
    return os.path.abspath(local_path(path))


def _reserve_folder(root: str, base: str) -> str:
    """Create a step folder that did not exist before (``base``, else ``base.1``, ...)."""
    os.makedirs(root, exist_ok=True)
    name, repeat = base, 0
    while True:
        try:
            os.mkdir(os.path.join(root, name))  # atomic: fails if the name is taken
            return name
        except FileExistsError:
            repeat += 1
            name = f"{base}.{repeat}"


# -- DCP, imported lazily -------------------------------------------------------
def _dcp() -> Any:
    require_torch()
    return importlib.import_module("torch.distributed.checkpoint")


def _dsd() -> Any:
    require_torch()
    return importlib.import_module("torch.distributed.checkpoint.state_dict")


def _failures(exc: BaseException) -> dict[int, BaseException]:
    """rank -> exception of a CheckpointException (its values are (exception, traceback))."""
    failures = getattr(exc, "failures", None) or {}
    return {rank: f[0] if isinstance(f, tuple) else f for rank, f in sorted(failures.items())}


def _error_class(failures: dict[int, BaseException], loading: bool) -> type[CheckpointError]:
    if not loading:
        return CheckpointError
    if any(str(cause).startswith("Missing key") for cause in failures.values()):
        return CheckpointMismatchError
    return CheckpointCorruptError


@contextlib.contextmanager
def _dcp_errors(what: str, loading: bool) -> Iterator[None]:
    """Turn DCP's CheckpointException (a BaseException) into a CheckpointError subclass."""
    try:
        with warnings.catch_warnings():  # without a group we mean single-process DCP
            warnings.filterwarnings("ignore", message="torch.distributed is disabled")
            yield
    except _dcp().api.CheckpointException as exc:
        failures = _failures(exc)
        detail = "; ".join(f"rank {rank}: {type(cause).__name__}: {cause}"
                           for rank, cause in failures.items()) or str(exc)
        raise _error_class(failures, loading)(f"{what}: {detail}") from exc


def _single_process() -> bool:
    return dist_if_initialized() is None


# -- weights_only-safe entries ----------------------------------------------------
def _to_safe_bytes(obj: Any, what: str) -> bytes:
    """torch.save ``obj`` to bytes, refusing anything weights_only=True could not read back."""
    torch = require_torch()
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    blob = buffer.getvalue()
    try:
        torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise UnsafeCheckpointValueError(f"{what} could not be read back with weights_only=True "
                                         f"({exc}); nothing was written") from exc
    return blob


def _from_safe_bytes(blob: Any, where: str) -> Any:
    torch = require_torch()
    if not isinstance(blob, bytes):
        raise CheckpointFormatError(f"{where} is not a ckptlint entry (got {type(blob).__name__})")
    try:
        return torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointCorruptError(f"{where} cannot be read with weights_only=True: "
                                     f"{type(exc).__name__}: {exc}") from exc


def rng_key(rank: int) -> str:
    return f"rng.rank{rank}"


def _ckptlint_entries(scheduler: Any, scaler: Any, epoch: int, step: Optional[int],
                      epoch_complete: bool, extra: dict[str, Any]) -> dict[str, bytes]:
    """This rank's RNG entry, plus (rank 0) the epoch/step/meta/extra entry."""
    check_weights_only_safe(extra, "extra")
    entries = {rng_key(get_rank()): _to_safe_bytes(capture_rng_state(), "the RNG state")}
    if get_rank() == 0:
        info = {"format": SHARDED_FORMAT, "meta": checkpoint_meta(get_world_size()),
                "epoch": epoch, "step": step, "epoch_complete": bool(epoch_complete),
                "scheduler": state_or_none(scheduler),
                "scaler": state_or_none(scaler), "extra": extra}
        for key in ("scheduler", "scaler"):
            check_weights_only_safe(info[key], key)
        entries[INFO_KEY] = _to_safe_bytes(info, "the checkpoint info")
    return entries


def _model_and_optimizer(model: Any, optimizer: Any) -> dict[str, Any]:
    """DCP-ready state dicts: DTensor shards for FSDP/TP, no ``module.``/``_orig_mod.``."""
    dsd = _dsd()
    if optimizer is None:
        return {"model": dsd.get_model_state_dict(model)}
    model_state, optimizer_state = dsd.get_state_dict(model, optimizer)
    return {"model": model_state, "optimizer": optimizer_state}


# -- saving -------------------------------------------------------------------------
def _commit(root: str, name: str, epoch: int, step: Optional[int]) -> None:
    """Rank 0, after DCP's final collective: check, fsync, then point latest.pt at it."""
    folder = os.path.join(root, name)
    if not is_complete(folder):
        raise CheckpointCorruptError(f"{folder} has no {METADATA_NAME} after the save")
    fsync_directory(folder)
    atomic_save(make_pointer(name, epoch=epoch, step=step), os.path.join(root, LATEST_NAME),
                check_weights_only=True)


def save_sharded_checkpoint(dir: PathLike, *, model: Any, optimizer: Any = None,
                            scheduler: Any = None, scaler: Any = None, epoch: int,
                            step: Optional[int] = None, epoch_complete: bool = True,
                            **extra: Any) -> str:
    """Write a new step folder in ``dir`` with DCP, then point ``dir/latest.pt`` at it.

    A collective under a process group: every rank calls it and writes its
    own shards. ``model`` may be FSDP2 (``fully_shard``), FSDP1, a DTensor
    model, DDP or a plain module. ``extra`` values follow the rules of
    :func:`save_checkpoint` (checked on every rank before anything is
    written; rank 0's are stored). Never writes over an existing folder and
    never deletes one (:class:`CheckpointManager` with ``sharded=True``
    does retention). Returns the step folder's path.
    """
    check_counters(epoch, step)
    root = _local_root(dir)
    entries = run_on_all(lambda: _ckptlint_entries(scheduler, scaler, epoch, step, epoch_complete,
                                                   extra),
                         f"save_sharded_checkpoint({root}) wrote nothing")
    name = run_on_main(lambda: _reserve_folder(root, step_folder_name(epoch, step)),
                       f"create a step folder in {root}")
    folder = os.path.join(root, str(name))
    state = {**_model_and_optimizer(model, optimizer), **entries}
    with _dcp_errors(f"sharded save to {folder} failed", loading=False):
        _dcp().save(state, checkpoint_id=folder, no_dist=_single_process())
    run_on_main(lambda: _commit(root, str(name), epoch, step), f"commit {folder}")
    return folder


# -- finding ------------------------------------------------------------------------
def latest_complete_folder(root: str) -> Optional[str]:
    """The folder ``latest.pt`` names, else the newest complete step folder, else None.

    A step folder without ``.metadata`` (its writer was killed before DCP
    finished) is skipped with a RuntimeWarning.
    """
    pointer = read_pointer(os.path.join(root, LATEST_NAME))
    candidates = [str(pointer["file"])] if pointer is not None else []
    candidates += [n for n in reversed(step_folders(root)) if n not in candidates]
    for name in candidates:
        folder = os.path.join(root, name)
        if is_complete(folder):
            return folder
        if os.path.isdir(folder):
            warnings.warn(f"skipping incomplete step folder {folder} (no {METADATA_NAME}: its "
                          "writer did not finish)", RuntimeWarning, stacklevel=3)
    return None


def _find_folder(path: str) -> str:
    """``path`` itself if it is a complete step folder, else the latest one inside it."""
    if is_complete(path):
        return path
    if step_folder_order(os.path.basename(path)) is not None and os.path.isdir(path):
        raise CheckpointCorruptError(f"{path} is an incomplete sharded checkpoint (no "
                                     f"{METADATA_NAME}: its writer did not finish)")
    folder = latest_complete_folder(path)
    if folder is None:
        raise FileNotFoundError(f"no complete sharded checkpoint in {path} (no {LATEST_NAME} "
                                "and no step folder holding a .metadata)")
    return folder


def remove_superseded_incomplete(root: str, keep: Iterable[str] = ()) -> list[str]:
    """Delete incomplete step folders older than the newest complete one; return their names.

    Main process only, and only when no rank of this job is writing (the
    CheckpointManager calls it on construction and after a save has
    committed). A folder ordered before a complete one was abandoned: a writer
    of this job has since finished a later save. The newest incomplete
    folder is left alone (it may belong to a writer that is still running, in
    another job sharing the directory); :func:`latest_complete_folder` skips
    it, and the next completed save supersedes it. Folders named in ``keep``
    (the pointers' targets) are never deleted.
    """
    names = step_folders(root)
    complete = [n for n in names if is_complete(os.path.join(root, n))]
    if not complete:
        return []
    newest = step_folder_order(complete[-1])
    stale = [n for n in names if n not in complete and n not in set(keep)
             and step_folder_order(n) < newest]
    for name in stale:
        _remove_tree(os.path.join(root, name))
    return stale


def _remove_tree(folder: str) -> None:
    try:
        shutil.rmtree(folder)
    except OSError as exc:
        warnings.warn(f"could not remove {folder}: {exc}", RuntimeWarning, stacklevel=3)


# -- loading ------------------------------------------------------------------------
def _saved_keys(folder: str) -> set[str]:
    """Every flattened key in the folder's DCP metadata (``model.0.weight``, ``rng.rank1``)."""
    try:
        metadata = _dcp().FileSystemReader(folder).read_metadata()
    except Exception as exc:
        raise CheckpointCorruptError(f"{folder}/{METADATA_NAME} cannot be read: "
                                     f"{type(exc).__name__}: {exc}") from exc
    return set(metadata.state_dict_metadata)


def _covered(key: str, names: set[str]) -> bool:
    """True if ``key`` or one of its dotted prefixes is in ``names`` (a dict entry is flattened)."""
    parts = key.split(".")
    return any(".".join(parts[:i]) in names for i in range(1, len(parts) + 1))


def _model_key_diff(template: dict[str, Any], saved: set[str]) -> tuple[list[str], list[str]]:
    saved_model = {k[len("model."):] for k in saved if k.startswith("model.")}
    expected = set(template)
    missing = [k for k in template if k not in saved_model
               and not any(s.startswith(k + ".") for s in saved_model)]
    unexpected = sorted(s for s in saved_model if not _covered(s, expected))
    return missing, unexpected


def _check_model_keys(folder: str, template: dict[str, Any], saved: set[str],
                      strict: bool) -> tuple[list[str], list[str]]:
    missing, unexpected = _model_key_diff(template, saved)
    if strict and (missing or unexpected):
        raise CheckpointMismatchError(f"{folder}: the model does not match the checkpoint: "
                                      f"missing keys {missing[:10]}, unexpected keys "
                                      f"{unexpected[:10]} (pass strict=False to load the rest)")
    for key in missing:
        del template[key]
    return missing, unexpected


def _require_part(folder: str, saved: set[str], key: str) -> None:
    if not any(k.startswith(key + ".") for k in saved):
        raise CheckpointFormatError(f"{folder} holds no {key} state, but {key}=... was passed "
                                    f"(pass {key}=None to skip it)")


def _rng_source(folder: str, saved: set[str]) -> Optional[int]:
    ranks = sorted(int(m.group(1)) for m in map(_RNG_KEY.match, saved) if m)
    return rng_source_rank(folder, len(ranks)) if ranks else None


def _check_info(folder: str, info: Any) -> dict[str, Any]:
    fmt = info.get("format") if isinstance(info, dict) else None
    if fmt != SHARDED_FORMAT:
        raise CheckpointFormatError(f"{folder} has format {fmt!r}; this ckptlint reads "
                                    f"{SHARDED_FORMAT!r}")
    return info


def _apply(model: Any, optimizer: Any, state: dict[str, Any], strict: bool) -> None:
    """Model first, then optimizer: two calls, never set_state_dict with both (RUNTIME.md 1.5)."""
    dsd = _dsd()
    dsd.set_model_state_dict(model, state["model"],
                             options=dsd.StateDictOptions(strict=strict))
    if optimizer is not None:
        dsd.set_optimizer_state_dict(model, optimizer, state["optimizer"])


def load_sharded_checkpoint(path: PathLike, *, model: Any, optimizer: Any = None,
                            scheduler: Any = None, scaler: Any = None, strict: bool = True,
                            restore_rng: bool = True) -> ResumeInfo:
    """Restore a checkpoint written by :func:`save_sharded_checkpoint`; call it on every rank.

    ``path`` is the checkpoint directory (its ``latest.pt`` is followed; without
    one, the newest complete step folder) or one step folder. Tensors are
    loaded into the model's and optimizer's own (possibly sharded) tensors,
    resharding when the world size changed. Missing or unexpected model keys
    raise :class:`CheckpointMismatchError` with ``strict=True`` and are
    reported in :class:`ResumeInfo` otherwise. Each rank restores its own RNG
    state. Returns ``ResumeInfo`` with ``next_epoch = epoch + 1`` and ``path``
    the step folder loaded.
    """
    folder = _find_folder(_local_root(path))
    saved = _saved_keys(folder)
    state: dict[str, Any] = {**_model_and_optimizer(model, optimizer), INFO_KEY: None}
    missing, unexpected = _check_model_keys(folder, state["model"], saved, strict)
    if optimizer is not None:
        _require_part(folder, saved, "optimizer")
    source = _rng_source(folder, saved) if restore_rng else None
    if source is not None:
        state[rng_key(source)] = None
    with _dcp_errors(f"cannot load {folder}", loading=True):
        _dcp().load(state, checkpoint_id=folder, no_dist=_single_process())
    info = _check_info(folder, _from_safe_bytes(state[INFO_KEY], f"{folder}[{INFO_KEY!r}]"))
    _apply(model, optimizer, state, strict)
    for key, obj in (("scheduler", scheduler), ("scaler", scaler)):
        restore_part(folder, info, key, obj)
    if source is not None:
        rng = _from_safe_bytes(state[rng_key(source)], f"{folder}[{rng_key(source)!r}]")
        restore_rng_state(rng, _check_rank=False)
    return resume_info(folder, info, missing, unexpected)
