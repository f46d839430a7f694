"""ckptlint.runtime: correct, crash-safe, DDP-aware checkpointing for PyTorch.

The runtime companion of the ckptlint linter: the linter's fixes rewrite user
code to call these functions. Importing this package never imports torch (or
numpy): torch is imported on the first call that needs it, and its absence
raises ``ImportError`` naming ``pip install 'ckptlint[runtime]'``. fsspec
(for ``s3://``-style paths, ``ckptlint[remote]``) is imported the same way.
"""

from __future__ import annotations

from .atomic import atomic_save
from .background import AsyncSave
from .checkpoint import ResumeInfo, load_checkpoint, save_checkpoint
from .distributed import barrier, get_rank, get_world_size, is_main_process
from .errors import (CheckpointCorruptError, CheckpointError, CheckpointFormatError,
                     CheckpointLockedError, CheckpointMismatchError, CheckpointSpaceError,
                     UnsafeCheckpointValueError)
from .manager import CheckpointManager
from .rng import capture_rng_state, restore_rng_state
from .seeding import make_generator, seed_everything, seed_worker
from .sharded import load_sharded_checkpoint, save_sharded_checkpoint

__all__ = [
    "seed_everything", "seed_worker", "make_generator",
    "capture_rng_state", "restore_rng_state",
    "atomic_save", "save_checkpoint", "load_checkpoint", "ResumeInfo", "AsyncSave",
    "CheckpointManager",
    "save_sharded_checkpoint", "load_sharded_checkpoint",
    "is_main_process", "barrier", "get_rank", "get_world_size",
    "CheckpointError", "CheckpointCorruptError", "CheckpointFormatError",
    "CheckpointMismatchError", "UnsafeCheckpointValueError", "CheckpointLockedError",
    "CheckpointSpaceError",
]
