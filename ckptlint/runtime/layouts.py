"""How CheckpointManager stores one numbered checkpoint: a file, or a DCP step folder.

Both layouts name checkpoints by ``(epoch, step)`` so that retention,
``keep_every`` and the pointers work the same way on either.
"""

from __future__ import annotations

import os
import re
from typing import Any, Callable, Optional, Union

from .background import AsyncSave
from .checkpoint import (ResumeInfo, apply_checkpoint, load_checkpoint, read_checkpoint_file,
                         write_checkpoint)
from .distributed import run_on_main
from .errors import CheckpointCorruptError
from .remote import check_remote_zip, is_remote
from .sharded import (is_complete, load_sharded_checkpoint, remove_superseded_incomplete,
                      save_sharded_checkpoint, step_folder_order)
from .store import LocalDir, RemoteDir

__all__ = ["FileLayout", "FolderLayout", "checkpoint_name"]

_NUMBERED = re.compile(r"^epoch=(\d+)(?:-step=(\d+))?\.pt$")
Store = Union[LocalDir, RemoteDir]
AfterWrite = Callable[[str], None]


def checkpoint_name(epoch: int, step: Optional[int]) -> str:
    """``epoch=NNNNNN.pt`` or ``epoch=NNNNNN-step=NNNNNNNNN.pt`` (sorts by name too)."""
    return f"epoch={epoch:06d}.pt" if step is None else f"epoch={epoch:06d}-step={step:09d}.pt"


class FileLayout:
    """One checkpoint is one :func:`save_checkpoint` file (local or at a URL)."""

    def order_key(self, name: str) -> Optional[tuple[int, ...]]:
        match = _NUMBERED.match(name)
        return None if match is None else (int(match.group(1)), int(match.group(2) or -1))

    def save(self, store: Store, epoch: int, step: Optional[int], after_write: AfterWrite,
             asynchronous: bool, **kwargs: Any) -> Union[str, AsyncSave]:
        """Write the checkpoint, then ``after_write(name)`` on the main process once it is
        durable (in the background when ``asynchronous``); return the path or the handle."""
        name = checkpoint_name(epoch, step)
        return write_checkpoint(store.join(name), epoch=epoch, step=step,
                                asynchronous=asynchronous, after_write=lambda: after_write(name),
                                **kwargs)

    def committed(self, path: str) -> bool:
        """A numbered file is whole by construction: it appears only by an atomic rename/upload."""
        return True

    def check_readable(self, path: str, verify: bool) -> None:
        """Raise unless ``path`` loads: an mmap load (plus every checksum with ``verify``);
        remotely a zip-directory read (a ranged read), or a download when verifying."""
        if is_remote(path) and not verify:
            check_remote_zip(path)
        else:
            read_checkpoint_file(path, mmap=True, verify=verify)

    def read(self, path: str, map_location: Any, verify: bool) -> Any:
        """The checked payload, read once for :meth:`apply` (what ``resume`` restores)."""
        return read_checkpoint_file(path, map_location=map_location, verify=verify)

    def apply(self, path: str, payload: Any, **kwargs: Any) -> ResumeInfo:
        return apply_checkpoint(path, payload, **kwargs)

    def load(self, path: str, **kwargs: Any) -> ResumeInfo:
        return load_checkpoint(path, **kwargs)

    def remove_stale(self, store: Store, keep: set[str]) -> list[str]:
        """Nothing beyond the ``.*.tmp`` files the manager removes itself."""
        return []


class FolderLayout:
    """One checkpoint is one DCP step folder written by :func:`save_sharded_checkpoint`."""

    def order_key(self, name: str) -> Optional[tuple[int, ...]]:
        return step_folder_order(name)

    def save(self, store: Store, epoch: int, step: Optional[int], after_write: AfterWrite,
             asynchronous: bool, **kwargs: Any) -> str:
        """A synchronous DCP save (``asynchronous`` is refused by the manager), then
        ``after_write(name)`` on the main process."""
        folder = save_sharded_checkpoint(store.root, epoch=epoch, step=step, **kwargs)
        name = os.path.basename(folder)
        run_on_main(lambda: after_write(name), f"update the pointers in {store.root}")
        return folder

    def committed(self, path: str) -> bool:
        """A step folder counts once DCP wrote its ``.metadata``."""
        return is_complete(path)

    def check_readable(self, path: str, verify: bool) -> None:
        """DCP stores no checksums: a folder is readable once its ``.metadata`` exists."""
        if not is_complete(path):
            raise CheckpointCorruptError(f"{path} is incomplete (no .metadata: its writer did "
                                         "not finish)")

    def read(self, path: str, map_location: Any, verify: bool) -> Any:
        self.check_readable(path, verify)
        return path

    def apply(self, path: str, payload: Any, map_location: Any = None,
              **kwargs: Any) -> ResumeInfo:
        """DCP loads into the model's own tensors, wherever they live: no ``map_location``."""
        if kwargs.pop("rename_keys", None) is not None:
            raise ValueError("rename_keys is not supported for sharded checkpoints (DCP matches "
                             "keys itself); rename the model's keys before saving instead")
        return load_sharded_checkpoint(path, **kwargs)

    def load(self, path: str, map_location: Any = None, **kwargs: Any) -> ResumeInfo:
        return self.apply(path, path, **kwargs)

    def remove_stale(self, store: Store, keep: set[str]) -> list[str]:
        """Incomplete step folders a later complete save superseded (see sharded.py)."""
        return remove_superseded_incomplete(store.root, keep)
