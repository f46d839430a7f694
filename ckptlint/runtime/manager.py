"""CheckpointManager: numbered checkpoints, ``latest``/``best`` pointers, retention.

Layout of ``dir``::

    epoch=000007.pt                  numbered checkpoints (save_checkpoint format)
    epoch=000007-step=000001234.pt   when ``step`` is given
    latest.pt                        pointer: the last checkpoint fully written
    best.pt                          pointer: the best by ``monitor`` (if any)
    .ckptlint.lock                   the writing run's lock (see below)

Pointers are tiny dicts (``{"format": "ckptlint.pointer/1", "file": ...}``)
written with :func:`atomic_save`; they load with ``weights_only=True``. A
pointer is the commit record: it is updated only after the checkpoint it names
is durable, and old checkpoints are deleted only after that (Accelerate's
``total_limit`` deletes first; Lightning deletes after, as we do).

Choices where the spec is silent, following Lightning's ``ModelCheckpoint``:

* ``keep_last=N`` keeps the N newest numbered checkpoints by (epoch, step),
  not by mtime; ``None`` keeps all. The best checkpoint and the periodic ones
  are kept on top of those.
* ``keep_every=N`` keeps, forever, the checkpoints of every N-th completed
  epoch, i.e. those with ``(epoch + 1) % N == 0`` (Lightning's
  ``every_n_epochs`` counts the same way).
* A monitored value that is NaN (or missing from ``metrics``, which warns)
  never becomes best; ties keep the earlier checkpoint (strict improvement).
* The metrics passed to ``save`` are stored as floats in the checkpoint under
  ``extra["metrics"]``.
* On construction (main process) the stale temporary files of crashed saves
  are removed, and only those: a temporary file whose writer may still be
  running (another process saving into ``dir``) is left alone
  (:mod:`.tempfiles`). The best value is reloaded from ``best.pt``, so a
  restarted run keeps comparing against it. Constructing a manager never
  deletes or locks anything else, so an evaluation job may construct one in
  a loop and call ``latest()`` while the trainer saves.

Choices for the issues' new behaviours, and their anchors:

* **One writer per directory** (no anchor locks; Orbax and torchtitan assume
  one job per directory without checking it). The first ``save`` takes an
  advisory lock on ``dir/.ckptlint.lock`` and holds it until ``close()`` or
  process exit; a second run saving into ``dir`` fails at once with
  :class:`CheckpointLockedError` naming the first (pid, host, command line),
  before anything is written (:mod:`.dirlock`). Readers never lock.
* **Verified resume**: ``latest()`` and ``resume()`` read candidates with
  ``verify=True`` (every tensor against its checksum) and skip a corrupt one
  with a RuntimeWarning naming the corrupted key; ``resume()`` reads the file
  once. ``latest(verify=False)`` is the cheap check (an mmap load).
* **Asynchronous saves** (``asynchronous=True``; DCP's ``async_save``,
  Orbax's async checkpointer): ``save`` returns an :class:`AsyncSave` once
  the state is copied to CPU memory; the write, then the pointers, then
  retention run on rank 0's background thread in that order, so nothing is
  deleted before the new checkpoint is durable. The next ``save``, ``wait()``
  and ``close()`` wait for it, and raise its failure on every rank.
  ``sharded=True`` checkpoints are always written synchronously (refused
  with ``asynchronous=True``).
* **Preemption** (Lightning's SIGTERM handling and SLURM auto-requeue on
  SIGUSR1): ``save_on_signal()`` installs handlers that only set a flag
  (:mod:`.preemption`); ``preempted`` reads it at a step boundary and agrees
  across ranks (a collective under a process group, like Lightning's
  ``reduce_boolean_decision``), so every rank saves at the same step. A save
  made once ``preempted`` is True is synchronous even on an asynchronous
  manager: the grace period is the deadline and the process exits next.

``sharded=True`` stores each checkpoint as a DCP step folder written by
:func:`save_sharded_checkpoint` (``epoch=000007/`` with its ``.metadata``,
see :mod:`.sharded`) instead of a file; retention deletes whole folders,
``latest()`` skips a folder without ``.metadata``, and incomplete folders
that a later complete save superseded are removed by the writer, holding the
lock, before its first save and after each save (never a folder a pointer
names; the newest incomplete folder is left, since its writer may still be
running).

``dir`` may be an fsspec URL (``s3://bucket/run1``, ``memory://...``) for
single-file checkpoints: files and pointers are uploaded whole and
``latest(verify=False)`` checks a remote file by reading its zip directory
(a ranged read, not a download). Remote directories are not locked (object
stores have no advisory locks). Sharded checkpoints need a filesystem path.
"""

from __future__ import annotations

import math
import os
import warnings
import weakref
from typing import Any, Iterable, Mapping, Optional, Union

from .atomic import atomic_save
from . import staging
from .background import AsyncSave
from .checkpoint import ResumeInfo
from .dirlock import DirectoryLock
from .distributed import any_rank, is_main_process, run_on_main
from .errors import CheckpointError
from .format import BEST_NAME, LATEST_NAME, POINTER_FORMAT
from .layouts import FileLayout, FolderLayout, checkpoint_name
from .pointer import make_pointer, read_pointer
from .preemption import DEFAULT_SIGNALS, SignalWatch
from .store import LocalDir, open_dir

__all__ = ["CheckpointManager", "POINTER_FORMAT", "checkpoint_name"]

PathLike = Union[str, "os.PathLike[str]"]
# What makes latest()/resume() skip a candidate (reading only: a model that does not fit
# the checkpoint raises later, in apply).
_UNREADABLE = (CheckpointError, OSError)


def _check_count(label: str, value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"{label} must be None or an int >= 1, got {value!r}")


class CheckpointManager:
    """Save, rotate and find checkpoints in one directory (see the module docstring)."""

    def __init__(self, dir: PathLike, keep_last: Optional[int] = 3, monitor: Optional[str] = None,
                 mode: str = "min", keep_every: Optional[int] = None,
                 sharded: bool = False, asynchronous: bool = False) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        _check_count("keep_last", keep_last)
        _check_count("keep_every", keep_every)
        self._store = open_dir(dir)
        if sharded and self._store.remote:
            raise ValueError(f"sharded checkpoints need a filesystem path, not {dir} "
                             "(see ckptlint.runtime.sharded)")
        if sharded and asynchronous:
            raise ValueError("asynchronous=True is not supported with sharded=True: step folders "
                             "are written synchronously by every rank")
        self._layout = FolderLayout() if sharded else FileLayout()
        self.dir = self._store.root
        self.keep_last, self.monitor, self.mode, self.keep_every = keep_last, monitor, mode, keep_every
        self.sharded, self.asynchronous = sharded, asynchronous
        self._best_value: Optional[float] = None
        self._best_file: Optional[str] = None
        self._lock = DirectoryLock(self.dir) if isinstance(self._store, LocalDir) else None
        if self._lock is not None:  # a manager dropped without close() still unlocks
            weakref.finalize(self, self._lock.release)
        self._locked = False
        self._pending: Optional[AsyncSave] = None
        self._watch: Optional[SignalWatch] = None
        self._preempted = False
        if is_main_process():
            self._store.create()
            self.remove_stale_temp_files()
        self._reload_best()

    # -- files -------------------------------------------------------------
    def remove_stale_temp_files(self) -> list[str]:
        """Delete the temporary files of crashed saves in ``dir``; return their names.

        Only files whose writer is provably gone (:mod:`.tempfiles`): safe to
        call at any time, from any process, while other processes save.
        """
        return self._store.remove_stale_temporaries()

    def _pointed_names(self) -> set[str]:
        pointers = (self._read_pointer(LATEST_NAME), self._read_pointer(BEST_NAME))
        return {str(p["file"]) for p in pointers if p is not None}

    def _names(self) -> list[str]:
        """Numbered checkpoint names, oldest first by (epoch, step)."""
        names = [n for n in self._store.names() if self._layout.order_key(n) is not None]
        return sorted(names, key=self._layout.order_key)

    def checkpoints(self) -> list[str]:
        """Numbered checkpoint paths, oldest first by (epoch, step)."""
        return [self._store.join(n) for n in self._names()]

    # -- pointers ----------------------------------------------------------
    def _read_pointer(self, name: str) -> Optional[dict[str, Any]]:
        return read_pointer(self._store.join(name))

    def _write_pointer(self, name: str, file: str, epoch: int, step: Optional[int],
                       value: Optional[float]) -> None:
        pointer = make_pointer(file, epoch=epoch, step=step, monitor=self.monitor,
                               mode=self.mode, value=value)
        atomic_save(pointer, self._store.join(name), check_weights_only=True)

    def _reload_best(self) -> None:
        pointer = self._read_pointer(BEST_NAME) if self.monitor else None
        if pointer is None:
            return
        if pointer.get("monitor") != self.monitor or pointer.get("mode") != self.mode:
            warnings.warn(f"{BEST_NAME} in {self.dir} tracks {pointer.get('monitor')!r} "
                          f"({pointer.get('mode')}), not {self.monitor!r} ({self.mode}); "
                          "starting a new best", RuntimeWarning, stacklevel=3)
            return
        self._best_value, self._best_file = pointer.get("value"), pointer.get("file")

    # -- writing: the lock, retention ----------------------------------------
    def _take_lock(self) -> None:
        """Main process: lock ``dir``, then clean what a crashed writer of it left."""
        if self._lock is not None:
            self._lock.acquire()
        self._layout.remove_stale(self._store, self._pointed_names())

    def _ensure_locked(self) -> None:
        if not self._locked:
            run_on_main(self._take_lock, f"lock {self.dir} for writing")
            self._locked = True

    def _monitored(self, metrics: Optional[Mapping[str, float]]) -> Optional[float]:
        if self.monitor is None:
            return None
        if metrics is None or self.monitor not in metrics:
            warnings.warn(f"monitored metric {self.monitor!r} not in metrics passed to save(); "
                          "the best checkpoint is not updated", RuntimeWarning, stacklevel=3)
            return None
        return metrics[self.monitor]

    def _is_better(self, value: Optional[float]) -> bool:
        if value is None or math.isnan(value):
            return False
        if self._best_value is None or math.isnan(self._best_value):
            return True
        return value < self._best_value if self.mode == "min" else value > self._best_value

    def _keep(self, names: list[str], current: str) -> set[str]:
        keep = set(names if self.keep_last is None else names[-self.keep_last:])
        keep.add(current)
        if self._best_file:
            keep.add(self._best_file)
        if self.keep_every:
            keep.update(n for n in names
                        if (self._layout.order_key(n)[0] + 1) % self.keep_every == 0)
        return keep

    def _prune(self, current: str) -> None:
        """Delete committed checkpoints outside the kept set, then abandoned partial ones.

        Only committed checkpoints count towards ``keep_last``: a step folder
        without ``.metadata`` never takes the place of a complete one.
        """
        names = [n for n in self._names() if self._layout.committed(self._store.join(n))]
        keep = self._keep(names, current)
        for name in (n for n in names if n not in keep):
            try:
                self._store.remove(name)
            except OSError as exc:
                warnings.warn(f"could not delete old checkpoint {name}: {exc}", RuntimeWarning,
                              stacklevel=3)
        self._layout.remove_stale(self._store, {current, *filter(None, [self._best_file])})

    def _after_save(self, name: str, epoch: int, step: Optional[int], value: Optional[float]) -> None:
        """Main process, once ``name`` is durable: pointers, then retention."""
        if self._is_better(value):
            self._best_value, self._best_file = value, name
            self._write_pointer(BEST_NAME, name, epoch, step, value)
        self._write_pointer(LATEST_NAME, name, epoch, step, value)
        self._prune(name)

    def save(self, *, model: Any, epoch: int, step: Optional[int] = None,
             metrics: Optional[Mapping[str, Any]] = None, optimizer: Any = None,
             scheduler: Any = None, scaler: Any = None, epoch_complete: bool = True,
             **extra: Any) -> Union[str, AsyncSave]:
        """Write the checkpoint, then the pointers, then prune; return its path.

        A collective under a process group (every rank calls it). ``metrics``
        values may be floats, 0-d tensors or numpy scalars: they are
        converted with ``float()``. ``epoch_complete=False`` marks a save in
        the middle of ``epoch`` (a preemption save): resuming then continues
        that epoch. With ``sharded=True`` the checkpoint is a step folder
        (:func:`save_sharded_checkpoint`, which already wrote ``latest.pt``;
        it is rewritten here with the monitored value). On an asynchronous
        manager returns an :class:`AsyncSave` instead (see the module
        docstring); the first save of a manager locks ``dir``.
        """
        clean = None if metrics is None else {str(k): float(v) for k, v in metrics.items()}
        if clean is not None:
            if "metrics" in extra:
                raise ValueError("pass metrics=... or an extra named 'metrics', not both")
            extra["metrics"] = clean
        self._ensure_locked()
        value = self._monitored(clean)
        asynchronous = self.asynchronous and not self._preempted
        result = self._layout.save(
            self._store, epoch, step, lambda name: self._after_save(name, epoch, step, value),
            asynchronous, model=model, optimizer=optimizer, scheduler=scheduler, scaler=scaler,
            epoch_complete=epoch_complete, **extra)
        if isinstance(result, AsyncSave):
            self._pending = result
            return result
        self._pending = None
        return str(result)

    def wait(self) -> None:
        """Wait until the last asynchronous save (and its pointers) is durable; raise its
        failure on every rank. A collective under a process group; a no-op when nothing is
        pending."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.wait()

    def close(self) -> None:
        """Wait for a pending save, restore signal handlers, release ``dir``'s lock and the
        memory kept for the next asynchronous save."""
        try:
            self.wait()
        finally:
            if self.asynchronous:
                staging.release()
            if self._watch is not None:
                self._watch.restore()
                self._watch = None
            if self._lock is not None:
                self._lock.release()
            self._locked = False

    def __enter__(self) -> "CheckpointManager":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- preemption --------------------------------------------------------
    def save_on_signal(self, signals: Iterable[int] = DEFAULT_SIGNALS) -> SignalWatch:
        """Watch for preemption ``signals`` (default SIGTERM and SIGUSR1); see :attr:`preempted`.

        The handlers only set a flag; the loop checks ``manager.preempted`` at
        each step boundary, saves (``epoch_complete=False`` in mid-epoch),
        and exits. Returns the watch, also a context manager that restores
        the previous handlers (``close()`` does too). Main thread only.
        """
        if self._watch is not None:
            self._watch.restore()
        self._watch = SignalWatch(signals)
        return self._watch

    @property
    def preempted(self) -> bool:
        """True once a watched signal arrived on any rank (then it stays True).

        Read it at a step boundary: under a process group it is a collective
        (every rank must read it at the same step), so all ranks agree and
        save together.
        """
        local = self._watch is not None and self._watch.requested
        self._preempted = any_rank(self._preempted or local)
        return self._preempted

    # -- finding -----------------------------------------------------------
    def _candidates(self) -> list[str]:
        """Names to resume from, best first: the latest pointer's, then newest first."""
        names: list[str] = []
        pointer = self._read_pointer(LATEST_NAME)
        if pointer is not None:
            names.append(str(pointer["file"]))
        names += [n for n in reversed(self._names()) if n not in names]
        return [n for n in names if self._store.exists(n)]

    def _skip(self, path: str, exc: BaseException) -> None:
        warnings.warn(f"skipping unreadable checkpoint {path}: {exc}", RuntimeWarning, stacklevel=4)

    def latest(self, verify: bool = True) -> Optional[str]:
        """Path of the checkpoint to resume from, or None.

        Follows ``latest.pt`` first (it names the last checkpoint whose save
        completed); if it is missing or its target is unreadable, falls back
        to the numbered checkpoints, newest first, skipping corrupt ones (and
        step folders without ``.metadata``) with a ``RuntimeWarning``. With
        ``verify=True`` (the default) each candidate is read whole and every
        tensor checked against its checksum; ``verify=False`` only checks that
        it loads (an mmap ``weights_only`` load, a remote zip-directory read).
        """
        for name in self._candidates():
            path = self._store.join(name)
            try:
                self._layout.check_readable(path, verify)
                return path
            except _UNREADABLE as exc:
                self._skip(path, exc)
        return None

    def best(self) -> Optional[str]:
        """Path of the best checkpoint by ``monitor`` (from ``best.pt``), or None."""
        pointer = self._read_pointer(BEST_NAME) if self.monitor else None
        if pointer is None or not self._store.exists(str(pointer["file"])):
            return None
        return self._store.join(str(pointer["file"]))

    def resume(self, *, model: Any, optimizer: Any = None, scheduler: Any = None,
               scaler: Any = None, map_location: Any = "cpu", strict: bool = True,
               restore_rng: bool = True, verify: bool = True,
               rename_keys: Any = None) -> Optional[ResumeInfo]:
        """Load the newest readable checkpoint into the given objects; None when there is none.

        Candidates as in :meth:`latest`, each read once and verified before
        anything is restored; an unreadable or corrupt one is skipped with a
        RuntimeWarning. ``map_location`` applies to single-file checkpoints;
        a sharded load goes into the model's own tensors, wherever they live.
        ``rename_keys`` as in :func:`load_checkpoint`.
        """
        for name in self._candidates():
            path = self._store.join(name)
            try:
                payload = self._layout.read(path, map_location, verify)
            except _UNREADABLE as exc:
                self._skip(path, exc)
                continue
            return self._layout.apply(path, payload, model=model, optimizer=optimizer,
                                      scheduler=scheduler, scaler=scaler, strict=strict,
                                      restore_rng=restore_rng, rename_keys=rename_keys)
        return None
