"""Migrate one ``torch.save`` file: load, repair, write atomically, inspect the result.

* A ckptlint checkpoint of an older format goes through the runtime's own
  upgrade steps (:mod:`ckptlint.runtime.upgrades`) and is written in the
  current format, checksums included, so ``load_checkpoint`` reads it as if
  ``save_checkpoint`` had written it.
* Any other file is repaired (:mod:`.repairs`) and keeps its layout; a dict
  payload gains a ``ckptlint_migration`` entry recording the format, the torch
  and ckptlint versions that wrote it and the changes (a bare state dict gets
  none: an extra key would break ``model.load_state_dict(torch.load(f))``).
* A file that needs no change is not rewritten (with ``--out`` it is copied,
  so the output folder holds every checkpoint).

Writes go through :func:`ckptlint.runtime.atomic_save` with the weights_only
scan before the rename. ``--in-place`` first hard-links the original to
``<name>.bak`` (``.bak.1``, ... when taken; a copy where links are
impossible) unless ``--no-backup``. The written file is then inspected, and
what inspect still reports is the report's ``remaining``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any, Mapping, Optional

from ckptlint import __version__
from ckptlint.inspection.classify import classify
from ckptlint.inspection.findings import content_findings
from ckptlint.inspection.tensors import is_state_dict
from ckptlint.inspection.inspector import inspect_file
from ckptlint.migration.loading import Loaded, Refused, load_for_migration
from ckptlint.migration.repairs import Repairs, repair_payload
from ckptlint.migration.report import MigrationReport, Options
from ckptlint.runtime.atomic import atomic_save
from ckptlint.runtime.checkpoint import write_payload
from ckptlint.runtime.format import (CHECKPOINT_VERSION, MIGRATION_FORMAT, MIGRATION_KEY,
                                     checkpoint_version)
from ckptlint.runtime.upgrades import rename_model_keys, upgrade

__all__ = ["migrate_file", "with_migration_record"]


def _how(loaded: Loaded) -> str:
    if loaded.trusted:
        return "torch.load(weights_only=False) because of --trust: code from the file ran"
    if loaded.allowed:
        return f"torch.load(weights_only=True) allowing the data classes {', '.join(loaded.allowed)}"
    return "torch.load(weights_only=True)"


def _refused(path: str, refused: Refused, options: Options) -> MigrationReport:
    if refused.unreadable:
        status = "unreadable"
    elif refused.globals and not options.trust:
        status = "needs --trust"
    else:
        status = "not migrated"
    return MigrationReport(path, status, problems=(refused.reason,), globals=refused.globals)


def _upgraded(path: str, payload: dict[str, Any], options: Options) -> tuple[dict[str, Any], list[str]]:
    """A ckptlint checkpoint in the current format, with the user's renames applied."""
    version = checkpoint_version(payload.get("format"))
    changes = []
    if version is not None and version < CHECKPOINT_VERSION:
        payload = upgrade(path, payload)
        changes.append(f"format {payload['meta']['upgraded_from']} -> {payload['format']} "
                       "(registered upgrade steps; checksums computed)")
    if options.renames:
        model = rename_model_keys(payload["model"], dict(options.renames))
        renamed = len(set(payload["model"]) - set(model))
        if renamed:
            payload = {**payload, "model": model}
            changes.append(f"`model`: renamed {renamed} keys (--rename)")
    return payload, changes


def with_migration_record(payload: Any, changes: list[str]) -> tuple[Any, list[str]]:
    """The payload with its migration record, when it is a dict that can hold one."""
    import torch

    if not isinstance(payload, dict) or is_state_dict(payload):
        return payload, changes + ["versions not recorded: a bare state dict has no room for them "
                                   "(an extra key would break load_state_dict(torch.load(...)))"]
    previous = payload.get(MIGRATION_KEY)
    history = list(previous.get("changes", [])) if isinstance(previous, Mapping) else []
    record = {"format": MIGRATION_FORMAT, "torch": str(torch.__version__), "ckptlint": __version__,
              "changes": history + changes}
    return {**payload, MIGRATION_KEY: record}, changes + [
        f"recorded the format ({MIGRATION_FORMAT}) and torch {torch.__version__} under "
        f"`{MIGRATION_KEY}`"]


def _free_name(path: str) -> str:
    candidate, n = path, 0
    while os.path.lexists(candidate):
        n += 1
        candidate = f"{path}.{n}"
    return candidate


def _backup(path: str) -> str:
    backup = _free_name(path + ".bak")
    try:
        os.link(path, backup)  # the original inode survives the atomic replace
    except OSError:
        shutil.copy2(path, backup)
    return backup


def _copy_unchanged(path: str, target: str) -> None:
    """Copy ``path`` to ``target`` atomically (a temporary file beside it, then a rename)."""
    directory = os.path.dirname(os.path.abspath(target))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".copy",
                               dir=directory)
    os.close(fd)
    try:
        shutil.copy2(path, tmp)
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise


def _new_payload(path: str, loaded: Loaded, options: Options) -> tuple[Any, list[str], Repairs]:
    payload = loaded.payload
    if isinstance(payload, dict) and checkpoint_version(payload.get("format")) is not None:
        payload, changes = _upgraded(path, payload, options)
        return payload, changes, Repairs()
    payload, repairs = repair_payload(payload, dict(options.renames) or None)
    changes = repairs.lines()
    if loaded.container == "legacy":
        changes.append("container: legacy (non-zip) torch.save format -> zip (mmap-able)")
    if changes:
        payload, changes = with_migration_record(payload, changes)
    return payload, changes, repairs


def _write(payload: Any, target: str) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
    if isinstance(payload, dict) and checkpoint_version(payload.get("format")) is not None:
        write_payload(dict(payload), target)
    else:
        atomic_save(payload, target, check_weights_only=True)


def _remaining(target: str, options: Options) -> tuple[tuple[Any, ...], tuple[str, ...]]:
    report = inspect_file(target, options.allow_weights_only)
    problems = () if report.readable else (f"the written file does not read back: {report.error}",)
    return report.findings, problems


def migrate_file(path: str, target: Optional[str], options: Options) -> MigrationReport:
    """Migrate ``path`` into ``target`` (``path`` itself for ``--in-place``; None: dry run)."""
    loaded = load_for_migration(path, options.trust, options.imports)
    if isinstance(loaded, Refused):
        return _refused(path, loaded, options)
    payload, changes, repairs = _new_payload(path, loaded, options)
    how = _how(loaded)
    if repairs.unrepairable:
        return MigrationReport(path, "not migrated", loaded=how, changes=tuple(changes),
                               problems=tuple(repairs.unrepairable))
    if not changes:
        if target is not None and target != path and not options.dry_run:
            _copy_unchanged(path, target)
        remaining, problems = _remaining(path, options)
        return MigrationReport(path, "unchanged", output=target if target != path else None,
                               loaded=how, remaining=remaining, problems=problems)
    if options.dry_run or target is None:
        found = content_findings(classify(payload, path, {}), options.allow_weights_only)
        return MigrationReport(path, "would migrate", loaded=how, changes=tuple(changes),
                               remaining=tuple(found))
    backup = _backup(path) if target == path and options.backup else None
    try:
        _write(payload, target)
    except Exception as exc:
        if backup is not None:
            os.unlink(backup)
        return MigrationReport(path, "not migrated", loaded=how, changes=tuple(changes),
                               problems=(f"writing {target} failed: {type(exc).__name__}: {exc}",))
    remaining, problems = _remaining(target, options)
    return MigrationReport(path, "migrated", output=target, backup=backup, loaded=how,
                           changes=tuple(changes), remaining=remaining, problems=problems)
