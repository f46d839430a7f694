"""Crash-safe single-file save: a drop-in for ``torch.save(obj, path)``.

The sequence, and why:

1. ``os.path.realpath(path)``: a symlinked target (``latest.pt ->
   epoch_7.pt``) is written through, so the link stays a link.
2. ``os.makedirs(dirname, exist_ok=True)``, then the stale temporary files
   of earlier crashed writes in that folder are removed (their writer is
   provably gone, see :mod:`.tempfiles`; never a save in progress), which
   also frees their space before this write needs it.
3. ``tempfile.mkstemp(prefix=".<name>.<pid>@<host>.", suffix=".tmp",
   dir=dirname)``, locked with ``flock`` until the rename: the temporary file
   lives in the *same directory*, so the final rename never crosses a
   filesystem (Lightning's temp file goes to ``$TMPDIR`` and falls back to a
   non-atomic copy across filesystems), and its name and lock tell a cleaner
   whether its writer is still alive.
4. ``torch.save`` into it, ``flush``, ``fsync`` (data on disk before rename).
   A full disk or quota (``ENOSPC``, ``EDQUOT``, ``EFBIG``) raises
   :class:`CheckpointSpaceError` naming the path and the space needed, not
   torch's ``unexpected pos`` (see :mod:`.diskspace`).
5. ``chmod``: the mode an ordinary ``open()`` would give (``0o666 & ~umask``),
   or the mode of the file being replaced, since ``mkstemp`` creates ``0600``.
6. A zip central-directory check (catches a short write; costs milliseconds).
   With ``check_weights_only=True`` also ``get_unsafe_globals_in_checkpoint``.
7. ``os.replace(tmp, target)``: atomic on POSIX; a reader sees the old or the
   new file, never a torn one.
8. ``fsync`` of the directory, so that the rename itself survives a power cut.

On any exception (``BaseException``: also KeyboardInterrupt) the temporary
file is unlinked and the previous target is left untouched. A SIGKILL cannot
run cleanup; it leaves a ``.*.tmp`` file that the next write to that folder
(or a ``CheckpointManager`` starting) removes.
Not a collective: in a distributed job guard it with ``is_main_process()``.

An fsspec URL (``s3://...``) is saved through the same sequence into a local
temporary directory, then uploaded whole (see :mod:`ckptlint.runtime.remote`
for how each scheme avoids a partial object); ``file://`` URLs are local paths.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import shutil
import stat
import tempfile
import zipfile
from typing import Any, Union

from ._torch import require_torch
from .diskspace import RecordingFile, space_error
from .errors import CheckpointCorruptError, CheckpointFormatError, UnsafeCheckpointValueError
from .format import TMP_SUFFIX
from .remote import is_remote, local_path, remote_fs, upload_file
from .tempfiles import lock_exclusive, remove_stale_local, temp_prefix

__all__ = ["atomic_save", "TMP_SUFFIX"]

PICKLE_MAGIC = b"\x80"  # a legacy (non-zip) torch.save file starts with a pickle protocol opcode
PathLike = Union[str, "os.PathLike[str]"]


def _current_umask() -> int:
    """Read the umask without changing it where possible (/proc on Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # fallback: read by setting, then restore at once
    os.umask(mask)
    return mask


def _target_mode(target: str) -> int:
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        return 0o666 & ~_current_umask()


def fsync_directory(directory: str) -> None:
    """fsync a directory so a rename inside it is durable (no-op where unsupported)."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(directory, flags)
    except OSError:  # e.g. Windows: directories cannot be opened
        return
    try:
        os.fsync(fd)
    except OSError:  # some filesystems refuse fsync on directories
        pass
    finally:
        os.close(fd)


def _starts_like_legacy(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(1) == PICKLE_MAGIC
    except OSError:
        return False


def check_zip_structure(path: str, label: str = "") -> None:
    """Raise unless ``path`` has a readable zip directory.

    A legacy (non-zip) ``torch.save`` file raises CheckpointFormatError saying
    so (it is intact, just not what ``save_checkpoint`` writes); anything else
    raises CheckpointCorruptError with the size. ``label`` names the file in
    the message when ``path`` is a local copy (a downloaded remote checkpoint).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        if _starts_like_legacy(path):
            raise CheckpointFormatError(
                f"{label or path} is a legacy (non-zip) torch.save file, written with "
                "_use_new_zipfile_serialization=False or by torch < 1.6: it may well be intact, "
                "but save_checkpoint never writes this format. Read it with "
                "torch.load(path, weights_only=True), or convert it with `ckptlint migrate`.") from exc
        size = os.path.getsize(path) if os.path.exists(path) else -1
        raise CheckpointCorruptError(
            f"{label or path} ({size} bytes) is not a complete torch zip archive: {exc}") from exc


def unsafe_globals(path: str) -> list[str]:
    """Globals in ``path`` that ``torch.load(weights_only=True)`` would refuse.

    Uses ``torch.serialization.get_unsafe_globals_in_checkpoint`` when it exists
    (torch 2.13 has it; older releases may not), else a trial
    ``torch.load(weights_only=True, mmap=True)``.
    """
    torch = require_torch()
    scan = getattr(torch.serialization, "get_unsafe_globals_in_checkpoint", None)
    if scan is not None:
        return list(scan(path))
    try:
        torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception as exc:  # the message names the refused global
        return [f"<weights_only load failed: {exc}>"]
    return []


def _write_temp(obj: Any, recorder: RecordingFile, fd: int, fsync: bool,
                kwargs: dict[str, Any]) -> None:
    """torch.save into the open temporary file (through ``recorder``), flush, fsync."""
    torch = require_torch()
    torch.save(obj, recorder, **kwargs)
    recorder.flush()
    if fsync:
        os.fsync(fd)


def _discard(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass


def _verify_temp(tmp: str, target: str, check_weights_only: bool, kwargs: dict[str, Any]) -> None:
    if kwargs.get("_use_new_zipfile_serialization", True):
        check_zip_structure(tmp)
    if check_weights_only:
        refused = unsafe_globals(tmp)
        if refused:
            raise UnsafeCheckpointValueError(
                f"refusing to write {target}: torch.load(weights_only=True) could not read it "
                f"back (unsafe globals: {', '.join(sorted(refused))})")


def atomic_save(obj: Any, path: PathLike, *, fsync: bool = True, check_weights_only: bool = False,
                **torch_save_kwargs: Any) -> str:
    """Save ``obj`` to ``path`` so that a crash leaves either the old or the new file.

    ``fsync=False`` skips both fsyncs (faster on slow network filesystems, no
    longer power-cut safe; still atomic against a process crash). With
    ``check_weights_only=True`` the file is scanned before the rename and
    :class:`UnsafeCheckpointValueError` is raised if ``weights_only=True``
    could not load it (off by default so that this stays a drop-in for
    ``torch.save`` of any object). Extra keyword arguments go to
    ``torch.save``. ``path`` must be a path or an fsspec URL, not a file
    object. Returns the path actually written (the symlink target, if
    ``path`` is a symlink; the URL itself for a remote path).
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"atomic_save needs a file path, got {type(path).__name__}")
    if is_remote(path):
        return _save_remote(obj, str(path), check_weights_only, torch_save_kwargs)
    target = os.path.realpath(local_path(path))
    directory = os.path.dirname(target)
    os.makedirs(directory, exist_ok=True)
    remove_stale_local(directory)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(os.path.basename(target)), suffix=TMP_SUFFIX,
                               dir=directory)
    fh = os.fdopen(fd, "wb")
    recorder = RecordingFile(fh)
    try:
        lock_exclusive(fd)  # held until the file is closed, after the rename
        _write_temp(obj, recorder, fd, fsync, torch_save_kwargs)
        os.chmod(tmp, _target_mode(target))
        _verify_temp(tmp, target, check_weights_only, torch_save_kwargs)
        if os.name == "nt":  # Windows renames no open file (and has no flock to keep)
            fh.close()
        os.replace(tmp, target)
    except BaseException as exc:
        _discard(tmp)
        full = space_error(recorder.error or exc, target, obj, recorder.written)
        if full is not None:
            raise full from exc
        raise
    finally:
        with contextlib.suppress(OSError):  # after a failed write, flushing the rest fails again
            fh.close()
    if fsync:
        fsync_directory(directory)
    return target


def _save_remote(obj: Any, url: str, check_weights_only: bool, kwargs: dict[str, Any]) -> str:
    """Save into a local temporary directory with every check, then upload the file whole."""
    remote_fs(url)  # fail fast (ImportError naming the extra) before serialising anything
    folder = tempfile.mkdtemp(prefix="ckptlint-upload-")
    try:
        local = os.path.join(folder, posixpath.basename(url.rstrip("/")) or "checkpoint.pt")
        atomic_save(obj, local, fsync=False, check_weights_only=check_weights_only, **kwargs)
        upload_file(local, url)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return url
