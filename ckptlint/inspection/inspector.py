"""`ckptlint inspect`'s entry point: a path in, one report per checkpoint out.

A file is opened safely (:mod:`ckptlint.inspection.opening`), its payload
classified, and its problems named. A folder is a torch.distributed.checkpoint
save when it holds ``.metadata`` or shards; any other folder stands for the
checkpoints directly inside it (``*.pt``, ``*.ckpt``, ... and DCP folders),
so ``ckptlint inspect checkpoints/`` covers a run's output.
"""

from __future__ import annotations

import os
from typing import Iterable, List

from ckptlint.inspection import layouts
from ckptlint.inspection.classify import classify
from ckptlint.inspection.dcp_folder import inspect_dcp_folder, is_dcp_folder
from ckptlint.inspection.findings import content_findings, truncated_finding, unsafe_global_findings
from ckptlint.inspection.opening import open_checkpoint
from ckptlint.inspection.report import FileReport


def inspect_paths(paths: Iterable[str], allow_weights_only: bool = False) -> List[FileReport]:
    """One report per checkpoint named by ``paths`` (a plain folder stands for its checkpoints)."""
    return [report for path in paths for report in _inspect_path(path, allow_weights_only)]


def _inspect_path(path: str, allow_weights_only: bool) -> List[FileReport]:
    if not os.path.exists(path):
        return [FileReport(path, "missing", None, readable=False, error="no such file or directory")]
    if os.path.isdir(path) and not is_dcp_folder(path):
        return _inspect_folder(path, allow_weights_only)
    return [_inspect_checkpoint(path, allow_weights_only)]


def _inspect_checkpoint(path: str, allow_weights_only: bool) -> FileReport:
    """One checkpoint. This is the per-checkpoint boundary (as engine/runner.py is the
    per-file one): a file that breaks a reader in a way not foreseen here (an unreadable
    folder, bit rot deep in a pickle) is reported as unreadable, and the others still are."""
    try:
        if is_dcp_folder(path):
            return inspect_dcp_folder(path, allow_weights_only)
        return inspect_file(path, allow_weights_only)
    except Exception as exc:
        return FileReport(path, "unknown", None, readable=False,
                          error=f"could not be inspected: {type(exc).__name__}: {exc}")


def _inspect_folder(path: str, allow_weights_only: bool) -> List[FileReport]:
    entries = [os.path.join(path, name) for name in sorted(os.listdir(path)) if not name.startswith(".")]
    found = [e for e in entries if (os.path.isfile(e) and e.endswith(layouts.CHECKPOINT_SUFFIXES))
             or is_dcp_folder(e)]
    if not found:
        suffixes = ", ".join(f"*{s}" for s in layouts.CHECKPOINT_SUFFIXES)
        return [FileReport(path, "directory", None, readable=False,
                           error=f"a folder with no checkpoint in it ({suffixes} or a "
                                 "torch.distributed.checkpoint folder)")]
    return [report for entry in found for report in _inspect_path(entry, allow_weights_only)]


def inspect_file(path: str, allow_weights_only: bool = False) -> FileReport:
    """Inspect one ``torch.save`` file; nothing in it is executed."""
    opened = open_checkpoint(path)
    if opened.error is not None:
        return FileReport(path, opened.container, opened.size, readable=False, error=opened.error)
    if opened.truncated is not None:
        return FileReport(path, opened.container, opened.size, readable=False,
                          findings=(truncated_finding(opened.truncated),))
    if opened.unsafe_globals:
        return FileReport(path, opened.container, opened.size, readable=True,
                          unsafe_globals=opened.unsafe_globals,
                          findings=tuple(unsafe_global_findings(opened.unsafe_globals)))
    contents = classify(opened.payload, path, opened.saved_locations)
    return FileReport(path, opened.container, opened.size, readable=True, contents=contents,
                      findings=tuple(content_findings(contents, allow_weights_only)))
