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
"""

from __future__ import annotations

import math
import os
import re
import warnings
from typing import Any, Mapping, Optional, Union

from ._torch import require_torch
from .atomic import TMP_SUFFIX, atomic_save
from .checkpoint import (POINTER_FORMAT, ResumeInfo, load_checkpoint, read_checkpoint_file,
                         save_checkpoint)
from .distributed import is_main_process, run_on_main
from .errors import CheckpointError

__all__ = ["CheckpointManager", "POINTER_FORMAT"]

LATEST_NAME = "latest.pt"
BEST_NAME = "best.pt"
_NUMBERED = re.compile(r"^epoch=(\d+)(?:-step=(\d+))?\.pt$")
PathLike = Union[str, "os.PathLike[str]"]


def checkpoint_name(epoch: int, step: Optional[int]) -> str:
    """``epoch=NNNNNN.pt`` or ``epoch=NNNNNN-step=NNNNNNNNN.pt`` (sorts by name too)."""
    return f"epoch={epoch:06d}.pt" if step is None else f"epoch={epoch:06d}-step={step:09d}.pt"


def _order_key(name: str) -> tuple[int, int]:
    match = _NUMBERED.match(name)
    assert match is not None
    return int(match.group(1)), int(match.group(2) or -1)


class CheckpointManager:
    """Save, rotate and find checkpoints in one directory (see the module docstring)."""

    def __init__(self, dir: PathLike, keep_last: Optional[int] = 3, monitor: Optional[str] = None,
                 mode: str = "min", keep_every: Optional[int] = None) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        for label, value in (("keep_last", keep_last), ("keep_every", keep_every)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"{label} must be None or an int >= 1, got {value!r}")
        self.dir = os.path.abspath(os.fspath(dir))
        self.keep_last, self.monitor, self.mode, self.keep_every = keep_last, monitor, mode, keep_every
        self._best_value: Optional[float] = None
        self._best_file: Optional[str] = None
        if is_main_process():
            os.makedirs(self.dir, exist_ok=True)
            self.remove_stale_temp_files()
        self._reload_best()

    # -- files -------------------------------------------------------------
    def remove_stale_temp_files(self) -> list[str]:
        """Delete ``.*.tmp`` files left by a crashed save; return their names."""
        removed = []
        for name in self._listdir():
            if name.startswith(".") and name.endswith(TMP_SUFFIX):
                try:
                    os.remove(os.path.join(self.dir, name))
                    removed.append(name)
                except OSError as exc:
                    warnings.warn(f"could not remove stale temporary file {name}: {exc}",
                                  RuntimeWarning, stacklevel=2)
        return removed

    def checkpoints(self) -> list[str]:
        """Numbered checkpoint paths, oldest first by (epoch, step)."""
        names = sorted((n for n in self._listdir() if _NUMBERED.match(n)), key=_order_key)
        return [os.path.join(self.dir, n) for n in names]

    def _listdir(self) -> list[str]:
        try:
            return os.listdir(self.dir)
        except FileNotFoundError:
            return []

    # -- pointers ----------------------------------------------------------
    def _read_pointer(self, name: str) -> Optional[dict[str, Any]]:
        path = os.path.join(self.dir, name)
        if not os.path.exists(path):
            return None
        torch = require_torch()
        try:
            pointer = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:
            warnings.warn(f"ignoring unreadable pointer {path}: {type(exc).__name__}: {exc}",
                          RuntimeWarning, stacklevel=3)
            return None
        if not isinstance(pointer, dict) or pointer.get("format") != POINTER_FORMAT:
            warnings.warn(f"ignoring {path}: not a ckptlint pointer file", RuntimeWarning, stacklevel=3)
            return None
        return pointer

    def _write_pointer(self, name: str, file: str, epoch: int, step: Optional[int],
                       value: Optional[float]) -> None:
        pointer = {"format": POINTER_FORMAT, "file": file, "epoch": epoch, "step": step,
                   "monitor": self.monitor, "mode": self.mode, "value": value}
        atomic_save(pointer, os.path.join(self.dir, name), check_weights_only=True)

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
            keep.update(n for n in names if (_order_key(n)[0] + 1) % self.keep_every == 0)
        return keep

    def _prune(self, current: str) -> None:
        names = [os.path.basename(p) for p in self.checkpoints()]
        for name in sorted(set(names) - self._keep(names, current), key=_order_key):
            try:
                os.remove(os.path.join(self.dir, name))
            except OSError as exc:
                warnings.warn(f"could not delete old checkpoint {name}: {exc}", RuntimeWarning,
                              stacklevel=3)

    def _after_save(self, name: str, epoch: int, step: Optional[int], value: Optional[float]) -> None:
        if self._is_better(value):
            self._best_value, self._best_file = value, name
            self._write_pointer(BEST_NAME, name, epoch, step, value)
        self._write_pointer(LATEST_NAME, name, epoch, step, value)
        self._prune(name)

    def save(self, *, model: Any, epoch: int, step: Optional[int] = None,
             metrics: Optional[Mapping[str, Any]] = None, optimizer: Any = None,
             scheduler: Any = None, scaler: Any = None, **extra: Any) -> str:
        """Write ``epoch=...pt`` with :func:`save_checkpoint`, then pointers, then prune.

        A collective under a process group (every rank calls it); returns the
        checkpoint's path. ``metrics`` values may be floats, 0-d tensors or
        numpy scalars: they are converted with ``float()``.
        """
        clean = None if metrics is None else {str(k): float(v) for k, v in metrics.items()}
        if clean is not None:
            if "metrics" in extra:
                raise ValueError("pass metrics=... or an extra named 'metrics', not both")
            extra["metrics"] = clean
        name = checkpoint_name(epoch, step)
        path = os.path.join(self.dir, name)
        save_checkpoint(path, model=model, optimizer=optimizer, scheduler=scheduler,
                        scaler=scaler, epoch=epoch, step=step, **extra)
        value = self._monitored(clean)
        run_on_main(lambda: self._after_save(name, epoch, step, value),
                    f"update the pointers in {self.dir}")
        return path

    # -- finding -----------------------------------------------------------
    def _readable(self, path: str) -> bool:
        try:
            read_checkpoint_file(path, mmap=True)
            return True
        except (CheckpointError, OSError) as exc:
            warnings.warn(f"skipping unreadable checkpoint {path}: {exc}", RuntimeWarning, stacklevel=4)
            return False

    def latest(self) -> Optional[str]:
        """Path of the checkpoint to resume from, or None.

        Follows ``latest.pt`` first (it names the last checkpoint whose save
        completed); if it is missing or its target is unreadable, falls back
        to the numbered files, newest first, skipping corrupt ones with a
        ``RuntimeWarning``. Each candidate is checked with a cheap
        ``weights_only`` mmap load.
        """
        candidates: list[str] = []
        pointer = self._read_pointer(LATEST_NAME)
        if pointer is not None:
            candidates.append(os.path.join(self.dir, str(pointer["file"])))
        candidates += [p for p in reversed(self.checkpoints()) if p not in candidates]
        for path in candidates:
            if os.path.exists(path) and self._readable(path):
                return path
        return None

    def best(self) -> Optional[str]:
        """Path of the best checkpoint by ``monitor`` (from ``best.pt``), or None."""
        pointer = self._read_pointer(BEST_NAME) if self.monitor else None
        if pointer is None:
            return None
        path = os.path.join(self.dir, str(pointer["file"]))
        return path if os.path.exists(path) else None

    def resume(self, *, model: Any, optimizer: Any = None, scheduler: Any = None,
               scaler: Any = None, map_location: Any = "cpu", strict: bool = True,
               restore_rng: bool = True) -> Optional[ResumeInfo]:
        """Load :meth:`latest` into the given objects; None when there is nothing to resume."""
        path = self.latest()
        if path is None:
            return None
        return load_checkpoint(path, model=model, optimizer=optimizer, scheduler=scheduler,
                               scaler=scaler, map_location=map_location, strict=strict,
                               restore_rng=restore_rng)
