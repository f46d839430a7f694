"""ckptlint's on-disk formats: every name and version the writer and the readers share.

The runtime writes these files and ``ckptlint inspect`` / ``ckptlint
migrate`` read them; all three import the constants from here, so a format
is defined once. Torch-free (the linter side may import it).

A single-file checkpoint (``save_checkpoint``) is a dict whose ``"format"``
is ``CHECKPOINT_FORMAT_FAMILY + str(version)``. Versions:

1. ``{"format", "meta", "epoch", "step", "model", "optimizer",
   "scheduler", "scaler", "rng", "extra"}`` (ckptlint <= 0.x, before
   asynchronous saves).
2. Version 1 plus ``"epoch_complete"`` (False for a save in the middle of an
   epoch, e.g. on preemption: ``next_epoch`` is then the same epoch) and
   ``"checksums"`` (``{"algorithm": "crc32", "tensors": {label: crc}}``,
   one per tensor, verified by ``load_checkpoint(verify=True)``).

A reader upgrades an older version step by step
(:mod:`ckptlint.runtime.upgrades`) and refuses a newer one.
"""

from __future__ import annotations

import re
from typing import Optional

__all__ = [
    "CHECKPOINT_FORMAT_FAMILY", "CHECKPOINT_VERSION", "CHECKPOINT_FORMAT", "checkpoint_format",
    "checkpoint_version", "POINTER_FORMAT", "SHARDED_FORMAT", "SHARDED_INFO_KEY",
    "SHARDED_COUNTERS", "RNG_FORMAT", "WRAPPER_PREFIXES", "CHECKSUM_ALGORITHM", "LATEST_NAME",
    "BEST_NAME", "LOCK_NAME", "DCP_METADATA_NAME", "TMP_SUFFIX", "MIGRATION_KEY",
    "MIGRATION_FORMAT",
]

# -- single-file checkpoints (save_checkpoint) ------------------------------------------
CHECKPOINT_FORMAT_FAMILY = "ckptlint.checkpoint/"
CHECKPOINT_VERSION = 2
_VERSION = re.compile(r"^ckptlint\.checkpoint/(\d+)$")


def checkpoint_format(version: int = CHECKPOINT_VERSION) -> str:
    return f"{CHECKPOINT_FORMAT_FAMILY}{version}"


CHECKPOINT_FORMAT = checkpoint_format()


def checkpoint_version(fmt: object) -> Optional[int]:
    """The version number of a ``"ckptlint.checkpoint/N"`` string; None for anything else."""
    match = _VERSION.match(fmt) if isinstance(fmt, str) else None
    return int(match.group(1)) if match else None


# Per-tensor checksums of version 2 (zlib.crc32 of the tensor's contiguous bytes).
CHECKSUM_ALGORITHM = "crc32"

# -- pointers (latest.pt, best.pt) and the directory a manager owns ------------------------
# {"format", "file": a checkpoint file or step folder beside the pointer, "epoch", "step", ...}
POINTER_FORMAT = "ckptlint.pointer/1"
LATEST_NAME = "latest.pt"
BEST_NAME = "best.pt"
# The advisory lock a writing CheckpointManager holds (its owner is written inside).
LOCK_NAME = ".ckptlint.lock"

# -- sharded checkpoints (save_sharded_checkpoint: DCP step folders) -------------------------
SHARDED_FORMAT = "ckptlint.sharded/1"
# Rank 0's {"format", "meta", "epoch", "step", "scheduler", "scaler", "extra"} as one
# torch.save bytes entry under this key; each rank's RNG under rng.rank{r}.
SHARDED_INFO_KEY = "ckptlint"
SHARDED_COUNTERS = ("epoch", "step")
DCP_METADATA_NAME = ".metadata"

# -- RNG state (capture_rng_state) -------------------------------------------------------------
RNG_FORMAT = "ckptlint.rng/1"

# -- state dict keys ------------------------------------------------------------------------------
# Prefixes every key of a wrapped model's state_dict() carries: DDP/DataParallel, torch.compile.
WRAPPER_PREFIXES = ("module.", "_orig_mod.")

# -- temporary files of an in-progress write (see ckptlint.runtime.tempfiles) ------------------
TMP_SUFFIX = ".tmp"

# -- files rewritten by `ckptlint migrate` ---------------------------------------------------------
# A migrated file keeps its own layout and gains this record:
# {"format": MIGRATION_FORMAT, "torch": str, "ckptlint": str, "changes": [str, ...]}
MIGRATION_KEY = "ckptlint_migration"
MIGRATION_FORMAT = "ckptlint.migrated/1"
