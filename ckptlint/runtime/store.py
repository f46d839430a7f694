"""A checkpoint directory, local or at an fsspec URL: list, test, delete, create.

:class:`CheckpointManager` keeps its files in one of these. Writing and
reading whole files goes through :func:`atomic_save` and
:func:`read_checkpoint_file`, which handle URLs themselves.
"""

from __future__ import annotations

import os
import posixpath
import shutil
from typing import Any, Union

from .remote import is_remote, local_path, remote_fs, remove_stale_remote
from .tempfiles import remove_stale_local

__all__ = ["LocalDir", "RemoteDir", "open_dir"]


class LocalDir:
    """A directory on a local (or mounted shared) filesystem."""

    remote = False

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(local_path(root))

    def join(self, name: str) -> str:
        return os.path.join(self.root, name)

    def names(self) -> list[str]:
        try:
            return os.listdir(self.root)
        except FileNotFoundError:
            return []

    def exists(self, name: str) -> bool:
        return os.path.exists(self.join(name))

    def remove(self, name: str) -> None:
        """Delete a file or a whole folder (a sharded checkpoint)."""
        path = self.join(name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.remove(path)

    def create(self) -> None:
        os.makedirs(self.root, exist_ok=True)

    def remove_stale_temporaries(self) -> list[str]:
        """Temporary files whose writer is provably gone (see tempfiles.py)."""
        return remove_stale_local(self.root, older=True)


class RemoteDir:
    """A "directory" (a key prefix) at an fsspec URL such as ``s3://bucket/run1``."""

    remote = True

    def __init__(self, url: str) -> None:
        self.root = url.rstrip("/")
        self._fs: Any
        self._fs, self._path = remote_fs(self.root)

    def join(self, name: str) -> str:
        return f"{self.root}/{name}"

    def _remote_path(self, name: str) -> str:
        return posixpath.join(self._path, name)

    def names(self) -> list[str]:
        try:
            entries = self._fs.ls(self._path, detail=False)
        except FileNotFoundError:
            return []
        return [posixpath.basename(str(entry).rstrip("/")) for entry in entries]

    def exists(self, name: str) -> bool:
        return bool(self._fs.exists(self._remote_path(name)))

    def remove(self, name: str) -> None:
        self._fs.rm(self._remote_path(name), recursive=True)

    def create(self) -> None:
        self._fs.mkdirs(self._path, exist_ok=True)

    def remove_stale_temporaries(self) -> list[str]:
        """Temporary objects of uploads from this host whose process is gone (see remote.py)."""
        return remove_stale_remote(self._fs, self._path)


def open_dir(root: Union[str, "os.PathLike[str]"]) -> Union[LocalDir, RemoteDir]:
    """A :class:`RemoteDir` for an fsspec URL (``file://`` excepted), else a :class:`LocalDir`."""
    return RemoteDir(str(root)) if is_remote(root) else LocalDir(os.fspath(root))
