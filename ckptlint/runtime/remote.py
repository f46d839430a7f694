"""Checkpoints at fsspec URLs (``s3://``, ``gs://``, ``memory://``, ...).

A remote checkpoint is always written whole from a local temporary file and
read whole into one: torch never streams into or out of a remote object, so
the local save keeps every check of :func:`atomic_save` (zip structure,
weights_only scan) and the load keeps ``weights_only=True``.

How an upload avoids a partial object under the final name depends on the
scheme, because fsspec's generic ``put_file`` opens the target and copies in
chunks: if the copy fails half-way, closing the file commits the half that was
written (measured with ``memory://``, see tests/runtime/test_rt_remote.py).

* ``s3``/``s3a``/``gs``/``gcs`` (object stores): ``put_file`` straight to the
  final key. S3 creates an object only when a PutObject or a multipart
  CompleteMultipartUpload succeeds, and GCS only when the last chunk of an
  upload is accepted, so a reader sees the old object or the new one, never a
  torn one, and no server-side copy doubles the write (CopyObject is also
  limited to 5 GB per call). Not exercised here: no S3/GCS in the test suite.
* every other scheme (``memory``, ``sftp``, ``hdfs``, ``az``, ...): upload
  to a hidden temporary name next to the target
  (``.<name>.<pid>@<host>.<hex>.tmp``), then ``fs.mv`` it over the target,
  and delete the temporary object if anything fails. A killed uploader can
  leave the temporary object, never a partial target; the next upload to
  that folder and ``CheckpointManager`` remove it once its writer is known
  to be gone (same host, pid no longer running: objects cannot be locked,
  see :mod:`.tempfiles`).
* ``file://`` URLs are plain local paths: the local atomic path
  (``os.replace``) is used and fsspec is not needed.

fsspec is imported lazily, so ``import ckptlint.runtime`` never imports it; a
URL without fsspec raises ``ImportError`` naming ``pip install
'ckptlint[remote]'``.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import posixpath
import re
import shutil
import tempfile
import uuid
import zipfile
from typing import Any, Iterator
from urllib.parse import unquote, urlparse

from .errors import CheckpointCorruptError
from .format import TMP_SUFFIX
from .tempfiles import is_stale_remote, temp_prefix

__all__ = ["is_remote", "local_path", "sibling", "upload_file", "downloaded", "check_remote_zip",
           "remote_fs", "remove_stale_remote", "REMOTE_INSTALL_HINT", "WHOLE_OBJECT_PUT_SCHEMES"]

REMOTE_INSTALL_HINT = "pip install 'ckptlint[remote]'"
WHOLE_OBJECT_PUT_SCHEMES = frozenset({"s3", "s3a", "gs", "gcs"})
_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def _scheme(path: Any) -> str:
    match = _URL.match(path) if isinstance(path, str) else None
    return match.group(1).lower() if match else ""


def is_remote(path: Any) -> bool:
    """True for a URL that needs fsspec (any scheme except ``file://``)."""
    return _scheme(path) not in ("", "file")


def local_path(path: Any) -> str:
    """The local filesystem path of ``path``; ``file:///x`` becomes ``/x``."""
    if _scheme(path) == "file":
        return unquote(urlparse(path).path)
    return os.fspath(path)


def sibling(path: str, name: str) -> str:
    """The path of ``name`` in the same directory as ``path`` (a URL or a local path)."""
    if is_remote(path):
        return f"{path.rsplit('/', 1)[0]}/{name}"
    return os.path.join(os.path.dirname(path), name)


def _require_fsspec() -> Any:
    try:
        return importlib.import_module("fsspec")
    except ImportError as exc:
        raise ImportError(f"ckptlint.runtime needs fsspec for remote paths such as s3:// "
                          f"({exc}). Install it with: {REMOTE_INSTALL_HINT}") from exc


def remote_fs(url: str) -> tuple[Any, str]:
    """(filesystem, path inside it) for ``url``; ImportError naming the extra without fsspec."""
    fsspec = _require_fsspec()
    return fsspec.core.url_to_fs(url)


def _temp_name(rpath: str) -> str:
    parent, name = posixpath.split(rpath)
    return posixpath.join(parent, f"{temp_prefix(name)}{uuid.uuid4().hex}{TMP_SUFFIX}")


def remove_stale_remote(fs: Any, folder: str) -> list[str]:
    """Delete the temporary objects in ``folder`` whose uploader ran here and is gone."""
    try:
        names = [posixpath.basename(str(e).rstrip("/")) for e in fs.ls(folder, detail=False)]
    except FileNotFoundError:
        return []
    stale = [n for n in names if is_stale_remote(n)]
    for name in stale:
        with contextlib.suppress(FileNotFoundError):
            fs.rm(posixpath.join(folder, name))
    return stale


def _put_via_temp(fs: Any, local: str, rpath: str) -> None:
    """Upload to a hidden temporary object, then move it over the target."""
    remove_stale_remote(fs, posixpath.dirname(rpath))
    tmp = _temp_name(rpath)
    try:
        fs.put_file(local, tmp)
        fs.mv(tmp, rpath)
    except BaseException:
        with contextlib.suppress(Exception):
            if fs.exists(tmp):
                fs.rm(tmp)
        raise


def upload_file(local: str, url: str) -> None:
    """Copy the local file to ``url`` so that no reader ever sees a partial object."""
    fs, rpath = remote_fs(url)  # put_file creates the parent "directory" itself
    if _scheme(url) in WHOLE_OBJECT_PUT_SCHEMES:
        fs.put_file(local, rpath)
    else:
        _put_via_temp(fs, local, rpath)


@contextlib.contextmanager
def downloaded(url: str) -> Iterator[str]:
    """Download ``url`` into a private local temporary file; yield its path, then delete it."""
    fs, rpath = remote_fs(url)
    if not fs.isfile(rpath):
        raise FileNotFoundError(f"checkpoint {url} does not exist")
    folder = tempfile.mkdtemp(prefix="ckptlint-download-")
    try:
        local = os.path.join(folder, posixpath.basename(rpath) or "checkpoint")
        fs.get_file(rpath, local)
        yield local
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def check_remote_zip(url: str) -> None:
    """Read the zip directory of a remote file (a ranged read of its tail, not a download)."""
    fs, rpath = remote_fs(url)
    try:
        with fs.open(rpath, "rb") as fh, zipfile.ZipFile(fh) as archive:
            archive.namelist()
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise CheckpointCorruptError(f"{url} is not a complete torch zip archive: {exc}") from exc
