"""Migrate a torch.distributed.checkpoint folder: what DCP allows, in one process.

DCP can read a whole checkpoint into one process without a model
(``_EmptyStateDictLoadPlanner``, as ``dcp_to_torch_save`` does) and write a
state dict to a new folder, so a folder is migrated by reading everything,
repairing it like a file (:mod:`.repairs`: wrapper prefixes on the model's
keys, Namespaces and numpy values in non-tensor entries, a migration record)
and saving it as a new single-writer DCP folder; loading it later reshards
to any world size as usual. It needs the memory of the whole state. Safer
than DCP's own reader: ``.metadata`` is unpickled with DCP's metadata
classes only (DCP uses plain ``pickle.load``), and non-tensor entries with
``weights_only=True`` plus the data classes of :mod:`.loading` (DCP uses
``weights_only=False``); an entry that needs more is reported as needing
``--trust``.

What no rewrite can repair is reported, not hidden: RNG saved under one key
by several ranks kept only one rank's copy when it was written (inspect's
``missing-rng-state``). An unfinished folder (shards without ``.metadata``)
is unreadable. A folder is never written over: the new one is written beside
it under a temporary name and renamed into place, the original becoming
``<name>.bak`` (deleted after the rename with ``--no-backup``); ``--out DIR``
refuses an existing ``DIR/<name>``.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import warnings
from typing import Any, Iterator, Optional

from ckptlint.inspection import layouts
from ckptlint.inspection.classify import classify
from ckptlint.inspection.dcp_folder import inspect_dcp_folder
from ckptlint.inspection.findings import content_findings
from ckptlint.inspection.safe_pickle import load_allowlisted
from ckptlint.migration.files import with_migration_record
from ckptlint.migration.loading import available_data_classes
from ckptlint.migration.repairs import repair_payload
from ckptlint.migration.report import MigrationReport, Options
from ckptlint.runtime.format import DCP_METADATA_NAME

__all__ = ["migrate_dcp_folder"]


def _reader_and_planner(folder: str, trust: bool, refused: list[str]) -> tuple[Any, Any]:
    import torch
    from torch.distributed.checkpoint import FileSystemReader
    from torch.distributed.checkpoint._traverse import set_element
    from torch.distributed.checkpoint.default_planner import _EmptyStateDictLoadPlanner
    from torch.distributed.checkpoint.metadata import StorageMeta

    allowed = available_data_classes()

    class SafeReader(FileSystemReader):
        def read_metadata(self, *args: Any, **kwargs: Any) -> Any:
            metadata = load_allowlisted(os.path.join(folder, DCP_METADATA_NAME),
                                        layouts.DCP_METADATA_GLOBALS)
            if getattr(metadata, "storage_meta", None) is None:
                metadata.storage_meta = StorageMeta()
            metadata.storage_meta.load_id = self.load_id
            return metadata

    class SafeBytesPlanner(_EmptyStateDictLoadPlanner):
        """DefaultLoadPlanner.load_bytes (torch 2.13) with a safe torch.load."""

        def load_bytes(self, read_item: Any, value: io.BytesIO) -> None:
            fqn = read_item.dest_index.fqn
            data = value.getvalue()
            try:
                with torch.serialization.safe_globals(allowed):
                    loaded = torch.load(io.BytesIO(data), weights_only=True)
            except Exception as exc:
                if not trust:
                    refused.append(f"{fqn}: {str(exc).strip().splitlines()[-1]}")
                    return
                loaded = torch.load(io.BytesIO(data), weights_only=False)
            if self.flatten_state_dict:
                set_element(self.original_state_dict, self.mappings[fqn], loaded)
            else:
                self.state_dict[fqn] = loaded

    return SafeReader(folder), SafeBytesPlanner()


def _load_state(folder: str, trust: bool) -> tuple[dict[str, Any], list[str]]:
    """Everything in the folder. ``dcp.load`` only fills the keys it is given, so this is
    the call torch's own ``dcp_to_torch_save`` makes (``_load_state_dict``, torch 2.13)."""
    from torch.distributed.checkpoint.state_dict_loader import _load_state_dict

    refused: list[str] = []
    reader, planner = _reader_and_planner(folder, trust, refused)
    state: dict[str, Any] = {}
    with _single_process():
        _load_state_dict(state, storage_reader=reader, planner=planner, no_dist=True)
    return state, refused


def _save_state(state: dict[str, Any], folder: str) -> None:
    import torch.distributed.checkpoint as dcp

    with _single_process():
        dcp.save(state, checkpoint_id=folder, no_dist=True)


@contextlib.contextmanager
def _single_process() -> Iterator[None]:
    """Silence DCP's "torch.distributed is disabled" warning: one process is what we mean."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="torch.distributed is disabled")
        yield


def _put_in_place(new: str, folder: str, backup: bool) -> Optional[str]:
    """Rename ``folder`` aside, then ``new`` into its place; return the backup's path."""
    aside = folder + ".bak"
    n = 0
    while os.path.lexists(aside):
        n += 1
        aside = f"{folder}.bak.{n}"
    os.rename(folder, aside)
    os.rename(new, folder)
    if backup:
        return aside
    shutil.rmtree(aside)
    return None


def _write(state: dict[str, Any], path: str, target: str, options: Options) -> Optional[str]:
    parent = os.path.dirname(os.path.abspath(target))
    os.makedirs(parent, exist_ok=True)
    staging = os.path.join(parent, f".{os.path.basename(target)}.migrating-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        _save_state(state, staging)
        if target == path:
            return _put_in_place(staging, path, options.backup)
        if os.path.lexists(target):
            raise FileExistsError(f"{target} exists; a DCP folder is never written over")
        os.rename(staging, target)
        return None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def migrate_dcp_folder(path: str, target: Optional[str], options: Options) -> MigrationReport:
    """Migrate the DCP folder ``path`` into ``target`` (see the module docstring)."""
    before = inspect_dcp_folder(path, options.allow_weights_only)
    if not before.readable:
        return MigrationReport(path, "unreadable", problems=tuple(f.message for f in before.findings))
    if before.unsafe_globals:
        return MigrationReport(path, "not migrated", globals=before.unsafe_globals,
                               problems=tuple(f.message for f in before.findings))
    try:
        state, refused = _load_state(path, options.trust)
    except BaseException as exc:  # DCP's CheckpointException is a BaseException
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        return MigrationReport(path, "unreadable", problems=(f"DCP could not read it: {exc}",))
    how = "DCP, non-tensor entries with torch.load(weights_only=True) and the data classes"
    if refused:
        return MigrationReport(path, "needs --trust", loaded=how, problems=tuple(
            f"entry {entry}; rerun with --trust if you trust its source" for entry in refused))
    state, repairs = repair_payload(state, dict(options.renames) or None)
    if repairs.unrepairable:
        return MigrationReport(path, "not migrated", loaded=how, problems=tuple(repairs.unrepairable))
    changes = repairs.lines()
    if not changes:
        return MigrationReport(path, "unchanged", loaded=how, remaining=before.findings)
    state, changes = with_migration_record(state, changes)
    if options.dry_run or target is None:
        found = content_findings(classify(state, path, {}), options.allow_weights_only)
        return MigrationReport(path, "would migrate", loaded=how, changes=tuple(changes),
                               remaining=tuple(found))
    try:
        backup = _write(state, path, target, options)
    except Exception as exc:
        return MigrationReport(path, "not migrated", loaded=how, changes=tuple(changes),
                               problems=(f"writing {target} failed: {type(exc).__name__}: {exc}",))
    after = inspect_dcp_folder(target, options.allow_weights_only)
    return MigrationReport(path, "migrated", output=target, backup=backup, loaded=how,
                           changes=tuple(changes), remaining=after.findings)
