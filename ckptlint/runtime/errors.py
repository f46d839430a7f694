"""Exceptions raised by :mod:`ckptlint.runtime`.

All of them are plain :class:`Exception` subclasses, so ``except Exception``
catches them (unlike ``torch.distributed.checkpoint.CheckpointException``,
which derives from ``BaseException``).
"""

from __future__ import annotations

__all__ = [
    "CheckpointError",
    "CheckpointCorruptError",
    "CheckpointFormatError",
    "CheckpointMismatchError",
    "UnsafeCheckpointValueError",
    "CheckpointLockedError",
    "CheckpointSpaceError",
]


class CheckpointError(Exception):
    """Base class of every checkpoint error raised by ckptlint.runtime."""


class CheckpointCorruptError(CheckpointError):
    """The file is empty, truncated or not a torch zip archive.

    Every low-level failure (``EOFError``, ``ValueError: negative seek value``,
    ``RuntimeError: PytorchStreamReader failed ...``, ``BadZipFile``, ...) is
    turned into this one exception, whose message names the path and size.
    """


class CheckpointFormatError(CheckpointError):
    """The file is a readable archive but not something we can load safely:
    it needs globals that ``weights_only=True`` refuses, it is not a ckptlint
    checkpoint, or it lacks a part the caller asked to restore."""


class CheckpointMismatchError(CheckpointError, RuntimeError):
    """The stored state does not fit the object it is loaded into (for example
    missing or unexpected model keys with ``strict=True``). Also a
    ``RuntimeError``, which is what ``load_state_dict`` itself raises."""


class UnsafeCheckpointValueError(CheckpointError, TypeError):
    """A value passed for saving could not be read back with
    ``torch.load(..., weights_only=True)``. Raised before anything is written.
    Also a ``TypeError``: the problem is the type of a value."""


class CheckpointLockedError(CheckpointError):
    """Another run is writing checkpoints into the same directory (it holds the
    directory's lock); the message names it. Raised before anything is written."""


class CheckpointSpaceError(CheckpointError, OSError):
    """The disk (or a quota, or the file size limit) is full: the message names
    the path, the space the checkpoint needs and the space left. The previous
    checkpoint is untouched. Also an ``OSError`` with the original ``errno``."""
