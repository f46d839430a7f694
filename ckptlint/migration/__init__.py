"""`ckptlint migrate`: rewrite old checkpoints into ones ``weights_only=True`` reads.

Modules, one concept each: ``loading`` (as safely as the file allows; code
only with ``--trust``), ``repairs`` (values and keys rewritten into
weights_only-safe ones), ``files`` (one ``torch.save`` file: load, repair,
write atomically, inspect the result), ``dcp`` (torch.distributed.checkpoint
folders), ``paths`` (which outputs the arguments name), ``report`` /
``render_text`` (the result and its text). Needs torch (the ``runtime``
extra), imported on first use; what `ckptlint inspect` reports about the
result decides the exit code.
"""

from __future__ import annotations

from ckptlint.migration.paths import migrate_paths
from ckptlint.migration.report import MigrationReport, Options

__all__ = ["migrate_paths", "MigrationReport", "Options"]
