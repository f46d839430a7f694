"""How CheckpointManager stores one numbered checkpoint: a file, or a DCP step folder.

Both layouts name checkpoints by ``(epoch, step)`` so that retention,
``keep_every`` and the pointers work the same way on either.
"""

from __future__ import annotations

import os
import re
from typing import Any, Optional, Union

from .checkpoint import ResumeInfo, load_checkpoint, read_checkpoint_file, save_checkpoint
from .errors import CheckpointCorruptError
from .remote import check_remote_zip, is_remote
from .sharded import (is_complete, load_sharded_checkpoint, remove_superseded_incomplete,
                      save_sharded_checkpoint, step_folder_order)
from .store import LocalDir, RemoteDir

__all__ = ["FileLayout", "FolderLayout", "checkpoint_name"]

_NUMBERED = re.compile(r"^epoch=(\d+)(?:-step=(\d+))?\.pt$")
Store = Union[LocalDir, RemoteDir]


def checkpoint_name(epoch: int, step: Optional[int]) -> str:
    """``epoch=NNNNNN.pt`` or ``epoch=NNNNNN-step=NNNNNNNNN.pt`` (sorts by name too)."""
    return f"epoch={epoch:06d}.pt" if step is None else f"epoch={epoch:06d}-step={step:09d}.pt"


class FileLayout:
    """One checkpoint is one :func:`save_checkpoint` file (local or at a URL)."""

    def order_key(self, name: str) -> Optional[tuple[int, ...]]:
        match = _NUMBERED.match(name)
        return None if match is None else (int(match.group(1)), int(match.group(2) or -1))

    def save(self, store: Store, epoch: int, step: Optional[int], **kwargs: Any) -> str:
        """Write the checkpoint; return its name in ``store``."""
        name = checkpoint_name(epoch, step)
        save_checkpoint(store.join(name), epoch=epoch, step=step, **kwargs)
        return name

    def committed(self, path: str) -> bool:
        """A numbered file is whole by construction: it appears only by an atomic rename/upload."""
        return True

    def check_readable(self, path: str) -> None:
        """Raise unless ``path`` loads; cheap: an mmap load, or a remote zip-directory read."""
        if is_remote(path):
            check_remote_zip(path)
        else:
            read_checkpoint_file(path, mmap=True)

    def load(self, path: str, **kwargs: Any) -> ResumeInfo:
        return load_checkpoint(path, **kwargs)

    def remove_stale(self, store: Store, keep: set[str]) -> list[str]:
        """Nothing beyond the ``.*.tmp`` files the manager removes itself."""
        return []


class FolderLayout:
    """One checkpoint is one DCP step folder written by :func:`save_sharded_checkpoint`."""

    def order_key(self, name: str) -> Optional[tuple[int, ...]]:
        return step_folder_order(name)

    def save(self, store: Store, epoch: int, step: Optional[int], **kwargs: Any) -> str:
        folder = save_sharded_checkpoint(store.root, epoch=epoch, step=step, **kwargs)
        return os.path.basename(folder)

    def committed(self, path: str) -> bool:
        """A step folder counts once DCP wrote its ``.metadata``."""
        return is_complete(path)

    def check_readable(self, path: str) -> None:
        if not is_complete(path):
            raise CheckpointCorruptError(f"{path} is incomplete (no .metadata: its writer did "
                                         "not finish)")

    def load(self, path: str, map_location: Any = None, **kwargs: Any) -> ResumeInfo:
        """DCP loads into the model's own tensors, wherever they live: no ``map_location``."""
        return load_sharded_checkpoint(path, **kwargs)

    def remove_stale(self, store: Store, keep: set[str]) -> list[str]:
        """Incomplete step folders a later complete save superseded (see sharded.py)."""
        return remove_superseded_incomplete(store.root, keep)
