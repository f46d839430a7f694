"""Turn "the disk is full" into an error that says so, with the path and the space needed.

``torch.save`` into a file object calls its ``write``; when a write fails
(``ENOSPC``, ``EDQUOT``, ``EFBIG`` past ``RLIMIT_FSIZE``), torch swallows the
``OSError`` and later raises ``RuntimeError: [enforce fail at
inline_container.cc:...] unexpected pos ...``, which names neither the file
nor the cause. :class:`RecordingFile` sits between torch and the file and
keeps the first ``OSError``; :func:`space_error` turns it into a
:class:`CheckpointSpaceError` naming the target, the space the checkpoint
needs (its bytes written so far, or its tensors' bytes if more) and the space
left on that filesystem.
"""

from __future__ import annotations

import errno
import os
import shutil
from typing import Any, BinaryIO, Optional

from .errors import CheckpointSpaceError

__all__ = ["RecordingFile", "space_error", "SPACE_ERRNOS"]

_CAUSES = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EFBIG: "the file size limit is exceeded (RLIMIT_FSIZE, `ulimit -f`)",
}
SPACE_ERRNOS = frozenset(_CAUSES)


class RecordingFile:
    """A write-only file wrapper that counts bytes and keeps the first OSError.

    torch's zip writer (every ckptlint file) writes through ``write``; its
    legacy format writes storages to ``fileno()`` directly, which is not
    recorded (the cause is then what the OSError itself says).
    """

    def __init__(self, file: BinaryIO) -> None:
        self._file = file
        self.written = 0
        self.error: Optional[OSError] = None

    def write(self, data: Any) -> int:
        try:
            count = self._file.write(data)
        except OSError as exc:
            self.error = self.error or exc
            raise
        self.written += count or 0
        return count

    def flush(self) -> None:
        try:
            self._file.flush()
        except OSError as exc:
            self.error = self.error or exc
            raise

    def fileno(self) -> int:
        return self._file.fileno()


def _tensor_bytes(obj: Any) -> int:
    """Bytes of the distinct tensor storages in ``obj`` (dicts, lists and tuples are walked)."""
    seen: set[int] = set()
    total = 0
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif hasattr(item, "untyped_storage"):
            try:
                storage = item.untyped_storage()
                key = storage.data_ptr()
                if key not in seen:
                    seen.add(key)
                    total += storage.nbytes()
            except (RuntimeError, NotImplementedError):  # sparse, nested: no single storage
                continue
    return total


def _human(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if count < 1024 or unit == "TiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} TiB"


def _free(directory: str) -> Optional[int]:
    try:
        return shutil.disk_usage(directory).free
    except OSError:
        return None


def space_error(exc: BaseException, target: str, obj: Any,
                written: int) -> Optional[CheckpointSpaceError]:
    """A CheckpointSpaceError for ``exc`` (or the OSError it hides), else None."""
    cause = exc if isinstance(exc, OSError) else None
    if cause is None or cause.errno not in SPACE_ERRNOS:
        return None
    directory = os.path.dirname(target)
    needed = max(written, _tensor_bytes(obj))
    free = _free(directory)
    room = f"; {_human(free)} is free on that filesystem" if free is not None else ""
    return CheckpointSpaceError(cause.errno, (
        f"cannot write {target}: {_CAUSES[cause.errno]} ({os.strerror(cause.errno)}) after "
        f"{_human(written)}. The checkpoint needs about {_human(needed)}{room}. The previous "
        "checkpoint is untouched and the partial temporary file was removed."))
