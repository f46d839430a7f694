"""One writer per checkpoint directory: an advisory lock that names its owner.

A ``CheckpointManager`` that saves takes ``<dir>/.ckptlint.lock`` with an
exclusive, non-blocking ``flock`` before its first save and keeps it until
``close()`` or process exit; the kernel releases it when the process dies
(SIGKILL included), so a crashed run never leaves a stale lock. The holder
writes who it is into the file (pid, host, start time, command line); a
second writer fails at once with :class:`CheckpointLockedError` quoting it,
before writing anything. Readers (``latest()``, ``resume()``) never lock.

The lock file itself is never deleted: unlinking it while another process
has it open but not yet locked would let two writers lock two different
files. Managers of the same directory in one process share one lock (they
are one run). Where ``flock`` is unsupported (some network filesystems) or
on Windows, a RuntimeWarning says the directory is not protected and the
save proceeds. Remote directories (fsspec URLs) are not locked.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import warnings
from typing import Optional

from .errors import CheckpointLockedError
from .format import LOCK_NAME
from .tempfiles import NO_LOCK_ERRNOS, this_host

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["DirectoryLock"]

_HELD: dict[str, tuple[int, int]] = {}  # lock path -> (fd, number of DirectoryLock holders)
_GUARD = threading.Lock()


def _owner() -> str:
    return json.dumps({"pid": os.getpid(), "host": this_host(), "since": time.strftime(
        "%Y-%m-%d %H:%M:%S %z"), "command": " ".join(sys.argv)[:300]})


def _describe(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as fh:
            owner = json.loads(fh.read() or "{}")
    except (OSError, ValueError):
        return "another process (its owner record is unreadable)"
    return (f"pid {owner.get('pid')} on host {owner.get('host')}, running since "
            f"{owner.get('since')}: {owner.get('command')!r}")


class DirectoryLock:
    """The writer's lock on one directory (see the module docstring)."""

    def __init__(self, directory: str) -> None:
        self.path = os.path.join(os.path.realpath(directory), LOCK_NAME)
        self.held = False

    def acquire(self) -> None:
        """Take the lock, or raise CheckpointLockedError naming the run that holds it."""
        if self.held:
            return
        with _GUARD:
            if self.path in _HELD:
                fd, count = _HELD[self.path]
                _HELD[self.path] = (fd, count + 1)
            else:
                fd = self._lock_file()
                if fd is None:
                    return
                _HELD[self.path] = (fd, 1)
        self.held = True

    def _lock_file(self) -> Optional[int]:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        if fcntl is None:
            os.close(fd)
            self._unprotected("this platform has no flock")
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise CheckpointLockedError(
                f"{os.path.dirname(self.path)} is being written by another run ({_describe(self.path)}); "
                "two writers would overwrite each other's checkpoints and pointers. Use another "
                "directory, or stop the other run first. Nothing was written.") from None
        except OSError as exc:
            os.close(fd)
            if exc.errno not in NO_LOCK_ERRNOS:
                raise
            self._unprotected(f"its filesystem does not support flock ({exc.strerror})")
            return None
        os.ftruncate(fd, 0)
        os.write(fd, _owner().encode("utf-8"))
        return fd

    def _unprotected(self, why: str) -> None:
        warnings.warn(f"{os.path.dirname(self.path)} is not locked against a second writer: {why}",
                      RuntimeWarning, stacklevel=4)

    def release(self) -> None:
        """Give the lock up (the last holder in this process closes the file, which unlocks it)."""
        if not self.held:
            return
        self.held = False
        with _GUARD:
            fd, count = _HELD.pop(self.path, (None, 0))
            if fd is None:
                return
            if count > 1:
                _HELD[self.path] = (fd, count - 1)
            else:
                os.close(fd)
