"""Temporary files of in-progress writes: named after their writer, removed only once it is gone.

A write goes to ``.<target>.<pid>@<host>.<random>.tmp`` in the target's
folder (``host`` is this machine's name with anything but letters, digits
and ``-`` replaced by ``-``), and the writer holds an exclusive ``flock`` on
it from creation until the rename. A temporary file is **stale** (its writer
crashed) when

* no process holds its lock (we can take it ourselves, without waiting), and
* its writer is gone: on this host, no process has its pid; on another host
  (a shared filesystem), the file has not been modified for
  :data:`OTHER_HOST_GRACE` seconds (the writer takes the lock microseconds
  after creating the file, so an unlocked file that old has no writer).

Where ``flock`` is unsupported (some network filesystems), only a same-host
writer whose pid is gone counts. Anything else is never deleted: a temporary
file may be someone else's save in progress (another process, another job
sharing the folder). Files in the old naming without a writer
(``.<target>.<random>.tmp``, ckptlint before 2026-12) are deleted only in a
CheckpointManager's directory, and only once untouched for
:data:`UNKNOWN_WRITER_AGE`; no other hidden ``.tmp`` file is ever touched.
Remote temporary objects (fsspec uploads) cannot be locked: only a same-host
writer whose pid is gone counts.

The lock is removed with the file; on a crash the kernel releases it, which
is what makes a SIGKILLed writer's file recognisable.
"""

from __future__ import annotations

import errno
import os
import re
import socket
import time
import warnings
from dataclasses import dataclass
from typing import Optional

from .format import TMP_SUFFIX

try:
    import fcntl
except ImportError:  # Windows: no advisory locks here; liveness alone decides
    fcntl = None  # type: ignore[assignment]

__all__ = ["temp_prefix", "Writer", "parse_temp_name", "lock_exclusive", "remove_stale_local",
           "is_stale_remote", "is_older_temp_name", "OTHER_HOST_GRACE", "UNKNOWN_WRITER_AGE"]

OTHER_HOST_GRACE = 60.0
UNKNOWN_WRITER_AGE = 24 * 3600.0
_OLDER_NAME = re.compile(r"^\..+\.([a-z0-9_]{8}|[0-9a-f]{32})" + re.escape(TMP_SUFFIX) + "$")
_NAME = re.compile(r"^\.(?P<target>.+)\.(?P<pid>\d+)@(?P<host>[A-Za-z0-9-]+)\.[A-Za-z0-9_]+"
                   + re.escape(TMP_SUFFIX) + "$")
# errnos meaning "this filesystem does not do flock": treat the lock as unknown, not as held.
NO_LOCK_ERRNOS = frozenset({errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL})


def this_host() -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname()) or "unknown"


def temp_prefix(target_name: str) -> str:
    """The name prefix of this process's temporary file for ``target_name`` (mkstemp adds the rest)."""
    return f".{target_name}.{os.getpid()}@{this_host()}."


@dataclass(frozen=True)
class Writer:
    """Who created a temporary file."""

    target: str
    pid: int
    host: str


def parse_temp_name(name: str) -> Optional[Writer]:
    match = _NAME.match(name)
    if match is None:
        return None
    return Writer(match.group("target"), int(match.group("pid")), match.group("host"))


def is_older_temp_name(name: str) -> bool:
    """A temporary file of an older ckptlint: ``.<target>.<mkstemp's 8 chars>.tmp`` or, from
    an upload, ``.<target>.<32 hex digits>.tmp``."""
    return _OLDER_NAME.match(name) is not None


def _pid_gone(pid: int) -> Optional[bool]:
    """True when no process has ``pid`` on this host, None when that cannot be told."""
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process on Windows
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # EPERM: the process exists, owned by someone else
        return False
    return False


def writer_gone(writer: Writer) -> Optional[bool]:
    """True/False for a writer on this host, None for one on another host."""
    return _pid_gone(writer.pid) if writer.host == this_host() else None


def lock_exclusive(fd: int) -> None:
    """Take an exclusive flock on ``fd``, held until it is closed (no-op without flock)."""
    if fcntl is None:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError as exc:
        if exc.errno not in NO_LOCK_ERRNOS:
            raise


def _try_lock(path: str) -> tuple[Optional[bool], Optional[int]]:
    """(True, fd) when we took the lock, (False, None) when someone holds it,
    (None, fd or None) when locks are unsupported or the file cannot be opened."""
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return None, None
    if fcntl is None:
        return None, fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True, fd
    except BlockingIOError:
        os.close(fd)
        return False, None
    except OSError as exc:
        if exc.errno in NO_LOCK_ERRNOS:
            return None, fd
        os.close(fd)
        return False, None


def _age(path: str) -> float:
    return time.time() - os.stat(path).st_mtime


def _is_stale(path: str, writer: Optional[Writer], lock: Optional[bool]) -> bool:
    """The rule of the module docstring; ``lock`` is what :func:`_try_lock` found."""
    if lock is False:  # its writer holds it: a save in progress
        return False
    if writer is None:  # an older ckptlint's file (see remove_stale_local): no writer recorded
        return _age(path) > UNKNOWN_WRITER_AGE
    gone = writer_gone(writer)
    if gone is not None:
        return gone
    return lock is True and _age(path) > OTHER_HOST_GRACE


def _remove_if_stale(path: str, writer: Optional[Writer]) -> bool:
    """Delete ``path`` if stale, while holding its lock (so no writer can take it meanwhile)."""
    lock, fd = _try_lock(path)
    try:
        if not _is_stale(path, writer, lock):
            return False
        os.unlink(path)
        return True
    except FileNotFoundError:  # its writer renamed it meanwhile
        return False
    finally:
        if fd is not None:
            os.close(fd)


def remove_stale_local(directory: str, older: bool = False) -> list[str]:
    """Delete the stale temporary files in ``directory``; return their names.

    Only names this module gives; with ``older=True`` (a directory ckptlint
    owns: a CheckpointManager's) also an older ckptlint's names, which carry
    no writer. atomic_save into any folder never touches those: another
    program's hidden ``.tmp`` file may look the same.
    """
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    removed = []
    ours = [n for n in names if parse_temp_name(n) is not None or (older and is_older_temp_name(n))]
    for name in sorted(ours):
        try:
            if _remove_if_stale(os.path.join(directory, name), parse_temp_name(name)):
                removed.append(name)
        except OSError as exc:
            warnings.warn(f"could not remove stale temporary file {name} in {directory}: {exc}",
                          RuntimeWarning, stacklevel=3)
    return removed


def is_stale_remote(name: str) -> bool:
    """A remote temporary object is stale only when its writer ran here and is gone."""
    writer = parse_temp_name(name)
    return writer is not None and writer_gone(writer) is True
