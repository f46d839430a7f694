"""CheckpointManager: numbered checkpoints, ``latest``/``best`` pointers, retention.

Layout of ``dir``::

    epoch=000007.pt                  numbered checkpoints (save_checkpoint format)
    epoch=000007-step=000001234.pt   when ``step`` is given
    latest.pt                        pointer: the last checkpoint fully written
    best.pt                          pointer: the best by ``monitor`` (if any)

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
* On construction, ``.*.tmp`` files left in ``dir`` by a crashed save are
  removed (main process only), and the best value is reloaded from
  ``best.pt``, so a restarted run keeps comparing against it.

``sharded=True`` stores each checkpoint as a DCP step folder written by
:func:`save_sharded_checkpoint` (``epoch=000007/`` with its ``.metadata``,
see :mod:`.sharded`) instead of a file; retention deletes whole folders,
``latest()`` skips a folder without ``.metadata``, and incomplete folders
that a later complete save superseded are removed on construction and after
each save (main process only, never a folder a pointer names; the newest
incomplete folder is left, since its writer may still be running).

``dir`` may be an fsspec URL (``s3://bucket/run1``, ``memory://...``) for
single-file checkpoints: files and pointers are uploaded whole and
``latest()`` checks a remote file by reading its zip directory (a ranged
read, not a download). Sharded checkpoints need a filesystem path.
"""

from __future__ import annotations

import math
import os
import warnings
from typing import Any, Mapping, Optional, Union

from .atomic import TMP_SUFFIX, atomic_save
from .checkpoint import ResumeInfo
from .distributed import is_main_process, run_on_main
from .errors import CheckpointError
from .layouts import FileLayout, FolderLayout, checkpoint_name
from .pointer import POINTER_FORMAT, make_pointer, read_pointer
from .store import open_dir

__all__ = ["CheckpointManager", "POINTER_FORMAT", "checkpoint_name"]

LATEST_NAME = "latest.pt"
BEST_NAME = "best.pt"
TMP_PREFIX = "."
PathLike = Union[str, "os.PathLike[str]"]


def _check_count(label: str, value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"{label} must be None or an int >= 1, got {value!r}")


class CheckpointManager:
    """Save, rotate and find checkpoints in one directory (see the module docstring)."""

    def __init__(self, dir: PathLike, keep_last: Optional[int] = 3, monitor: Optional[str] = None,
                 mode: str = "min", keep_every: Optional[int] = None,
                 sharded: bool = False) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        _check_count("keep_last", keep_last)
        _check_count("keep_every", keep_every)
        self._store = open_dir(dir)
        if sharded and self._store.remote:
            raise ValueError(f"sharded checkpoints need a filesystem path, not {dir} "
                             "(see ckptlint.runtime.sharded)")
        self._layout = FolderLayout() if sharded else FileLayout()
        self.dir = self._store.root
        self.keep_last, self.monitor, self.mode, self.keep_every = keep_last, monitor, mode, keep_every
        self.sharded = sharded
        self._best_value: Optional[float] = None
        self._best_file: Optional[str] = None
        if is_main_process():
            self._store.create()
            self.remove_stale_temp_files()
        self._reload_best()

    # -- files -------------------------------------------------------------
    def remove_stale_temp_files(self) -> list[str]:
        """Delete what crashed saves left behind; return the names removed.

        ``.*.tmp`` files (an interrupted atomic write or upload) and, with
        ``sharded=True``, incomplete step folders superseded by a complete one.
        Call it on the main process only, while no save is running.
        """
        removed = []
        for name in self._store.names():
            if name.startswith(TMP_PREFIX) and name.endswith(TMP_SUFFIX):
                try:
                    self._store.remove(name)
                    removed.append(name)
                except OSError as exc:
                    warnings.warn(f"could not remove stale temporary file {name}: {exc}",
                                  RuntimeWarning, stacklevel=2)
        return removed + self._layout.remove_stale(self._store, self._pointed_names())

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

    # -- saving ------------------------------------------------------------
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
        if self._is_better(value):
            self._best_value, self._best_file = value, name
            self._write_pointer(BEST_NAME, name, epoch, step, value)
        self._write_pointer(LATEST_NAME, name, epoch, step, value)
        self._prune(name)

    def save(self, *, model: Any, epoch: int, step: Optional[int] = None,
             metrics: Optional[Mapping[str, Any]] = None, optimizer: Any = None,
             scheduler: Any = None, scaler: Any = None, **extra: Any) -> str:
        """Write the checkpoint, then the pointers, then prune; return its path.

        A collective under a process group (every rank calls it). ``metrics``
        values may be floats, 0-d tensors or numpy scalars: they are
        converted with ``float()``. With ``sharded=True`` the checkpoint is a
        step folder (:func:`save_sharded_checkpoint`, which already wrote
        ``latest.pt``; it is rewritten here with the monitored value).
        """
        clean = None if metrics is None else {str(k): float(v) for k, v in metrics.items()}
        if clean is not None:
            if "metrics" in extra:
                raise ValueError("pass metrics=... or an extra named 'metrics', not both")
            extra["metrics"] = clean
        name = self._layout.save(self._store, epoch, step, model=model, optimizer=optimizer,
                                 scheduler=scheduler, scaler=scaler, **extra)
        value = self._monitored(clean)
        run_on_main(lambda: self._after_save(name, epoch, step, value),
                    f"update the pointers in {self.dir}")
        return self._store.join(name)

    # -- finding -----------------------------------------------------------
    def _readable(self, path: str) -> bool:
        try:
            self._layout.check_readable(path)
            return True
        except (CheckpointError, OSError) as exc:
            warnings.warn(f"skipping unreadable checkpoint {path}: {exc}", RuntimeWarning, stacklevel=4)
            return False

    def latest(self) -> Optional[str]:
        """Path of the checkpoint to resume from, or None.

        Follows ``latest.pt`` first (it names the last checkpoint whose save
        completed); if it is missing or its target is unreadable, falls back
        to the numbered checkpoints, newest first, skipping corrupt ones (and
        step folders without ``.metadata``) with a ``RuntimeWarning``. Each
        candidate is checked cheaply (an mmap ``weights_only`` load, a remote
        zip-directory read, or the presence of ``.metadata``).
        """
        names: list[str] = []
        pointer = self._read_pointer(LATEST_NAME)
        if pointer is not None:
            names.append(str(pointer["file"]))
        names += [n for n in reversed(self._names()) if n not in names]
        for name in names:
            if self._store.exists(name) and self._readable(self._store.join(name)):
                return self._store.join(name)
        return None

    def best(self) -> Optional[str]:
        """Path of the best checkpoint by ``monitor`` (from ``best.pt``), or None."""
        pointer = self._read_pointer(BEST_NAME) if self.monitor else None
        if pointer is None or not self._store.exists(str(pointer["file"])):
            return None
        return self._store.join(str(pointer["file"]))

    def resume(self, *, model: Any, optimizer: Any = None, scheduler: Any = None,
               scaler: Any = None, map_location: Any = "cpu", strict: bool = True,
               restore_rng: bool = True) -> Optional[ResumeInfo]:
        """Load :meth:`latest` into the given objects; None when there is nothing to resume.

        ``map_location`` applies to single-file checkpoints; a sharded load
        goes into the model's own tensors, wherever they live.
        """
        path = self.latest()
        if path is None:
            return None
        return self._layout.load(path, model=model, optimizer=optimizer, scheduler=scheduler,
                                 scaler=scaler, map_location=map_location, strict=strict,
                                 restore_rng=restore_rng)
