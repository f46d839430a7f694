"""Which checkpoints the arguments name, and where each one's migrated copy goes.

Paths are expanded as `ckptlint inspect` expands them: a file is one
checkpoint, a torch.distributed.checkpoint folder is one checkpoint, any
other folder stands for the checkpoints directly inside it. The output of
``SRC`` is ``SRC`` itself with ``--in-place``, ``DIR/<name of SRC>`` with
``--out DIR`` (the folder's own name is kept for checkpoints found inside a
folder argument: ``--out new ckpts/`` writes ``new/ckpts/epoch=1.pt``), and
nothing with ``--dry-run``.
"""

from __future__ import annotations

import os
from typing import Iterable, List, Optional

from ckptlint.inspection import layouts
from ckptlint.inspection.dcp_folder import is_dcp_folder
from ckptlint.migration.dcp import migrate_dcp_folder
from ckptlint.migration.files import migrate_file
from ckptlint.migration.report import MigrationReport, Options

__all__ = ["migrate_paths"]


def _checkpoints_in(folder: str) -> List[str]:
    entries = [os.path.join(folder, n) for n in sorted(os.listdir(folder)) if not n.startswith(".")]
    return [e for e in entries if (os.path.isfile(e) and e.endswith(layouts.CHECKPOINT_SUFFIXES))
            or is_dcp_folder(e)]


def _target(source: str, root: Optional[str], options: Options) -> Optional[str]:
    if options.dry_run:
        return None
    if options.in_place:
        return source
    assert options.out_dir is not None
    if root is None:
        return os.path.join(options.out_dir, os.path.basename(os.path.normpath(source)))
    relative = os.path.relpath(source, os.path.dirname(os.path.normpath(root)))
    return os.path.join(options.out_dir, relative)


def _migrate_one(source: str, root: Optional[str], options: Options) -> MigrationReport:
    target = _target(source, root, options)
    if target is not None and os.path.abspath(target) == os.path.abspath(source):
        target = source  # --out naming the source's own folder is an in-place migration
    if is_dcp_folder(source):
        return migrate_dcp_folder(source, target, options)
    return migrate_file(source, target, options)


def _guarded(source: str, root: Optional[str], options: Options) -> MigrationReport:
    """The per-checkpoint boundary (as inspect's): an unforeseen failure is reported, and the
    other checkpoints are still migrated."""
    try:
        return _migrate_one(source, root, options)
    except Exception as exc:
        return MigrationReport(source, "not migrated",
                               problems=(f"could not be migrated: {type(exc).__name__}: {exc}",))


def migrate_paths(paths: Iterable[str], options: Options) -> List[MigrationReport]:
    """One report per checkpoint named by ``paths``."""
    reports = []
    for path in paths:
        if not os.path.exists(path):
            reports.append(MigrationReport(path, "unreadable", problems=("no such file or directory",)))
        elif os.path.isdir(path) and not is_dcp_folder(path):
            found = _checkpoints_in(path)
            if not found:
                reports.append(MigrationReport(path, "unreadable", problems=(
                    "a folder with no checkpoint in it",)))
            reports += [_guarded(entry, path, options) for entry in found]
        else:
            reports.append(_guarded(path, None, options))
    return reports
