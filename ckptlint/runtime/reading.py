"""Read a ckptlint checkpoint file: load safely, check the format, verify, upgrade.

Every read is ``torch.load(weights_only=True)``. Then, in this order:

1. a ``latest.pt`` / ``best.pt`` pointer is followed (one level), the way
   Lightning's ``ckpt_path="last"`` resolves to a real checkpoint;
2. the format is checked: not a ckptlint checkpoint, or one from a newer
   ckptlint, raises :class:`CheckpointFormatError` (:mod:`.upgrades`);
3. with ``verify=True`` the data is checked against what was saved
   (:mod:`.integrity`): the per-tensor checksums and the CRC-32s of the
   archive's structure records for format 2, every member's CRC-32 for a
   file without checksums;
4. an older format is upgraded to the current one.

Every failure is normalised: ``FileNotFoundError`` (listing the folder),
:class:`CheckpointCorruptError` (empty, truncated, checksum or CRC mismatch,
with the size or the corrupted key), :class:`CheckpointFormatError` (unsafe
globals, a legacy non-zip file, not ckptlint's, too new). A remote URL is
downloaded whole into a local temporary file first.
"""

from __future__ import annotations

import os
import pickle
from typing import Any

from ._torch import require_torch
from .atomic import check_zip_structure, unsafe_globals
from .errors import CheckpointCorruptError, CheckpointFormatError
from .integrity import verify_tensors, verify_zip_crcs
from .pointer import is_pointer
from .remote import downloaded, is_remote, local_path, sibling
from .upgrades import check_version, upgrade

__all__ = ["read_checkpoint_file"]


def read_checkpoint_file(path: str, map_location: Any = "cpu", mmap: bool = False,
                         follow_pointer: bool = True, verify: bool = False) -> dict[str, Any]:
    """The payload of the checkpoint at ``path`` (or the one a pointer there names),
    checked, optionally verified, and in the current format (see the module docstring)."""
    path = path if is_remote(path) else local_path(path)
    payload = _load_any(path, map_location, mmap, verify)
    if is_pointer(payload):
        if not follow_pointer:
            raise CheckpointFormatError(f"{path} is a pointer to another pointer")
        return read_checkpoint_file(sibling(path, str(payload.get("file"))), map_location, mmap,
                                    follow_pointer=False, verify=verify)
    return payload


def _load_any(path: str, map_location: Any, mmap: bool, verify: bool) -> Any:
    if is_remote(path):
        with downloaded(path) as local:  # mmap of a file deleted on exit: never
            return _read_local(local, path, map_location, False, verify)
    return _read_local(path, path, map_location, mmap, verify)


def _describe_missing(path: str) -> str:
    if os.path.isdir(path):
        return (f"checkpoint {path} is a directory, not a file (a sharded checkpoint? load it "
                "with load_sharded_checkpoint)")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        return f"checkpoint {path} does not exist (nor does its directory {directory})"
    names = sorted(n for n in os.listdir(directory) if not n.startswith("."))
    shown = ", ".join(names[:20]) + (", ..." if len(names) > 20 else "")
    return f"checkpoint {path} does not exist; {directory} holds: [{shown}]"


def _torch_load(path: str, label: str, map_location: Any, mmap: bool) -> Any:
    """torch.load a local file with weights_only=True; every failure named after ``label``."""
    torch = require_torch()
    if not os.path.isfile(path):
        raise FileNotFoundError(_describe_missing(path))
    size = os.path.getsize(path)
    if size == 0:
        raise CheckpointCorruptError(f"{label} is empty (0 bytes): probably a crash during a "
                                     "non-atomic save")
    check_zip_structure(path, label)
    try:
        return torch.load(path, map_location=map_location, weights_only=True, mmap=mmap)
    except pickle.UnpicklingError as exc:
        refused = ", ".join(unsafe_globals(path)) or "unknown"
        raise CheckpointFormatError(f"{label} needs globals that weights_only=True refuses "
                                    f"({refused}); it was not written by save_checkpoint") from exc
    except (RuntimeError, ValueError, EOFError, OSError, KeyError) as exc:
        raise CheckpointCorruptError(f"{label} ({size} bytes) cannot be read: "
                                     f"{type(exc).__name__}: {exc}") from exc


def _read_local(path: str, label: str, map_location: Any, mmap: bool, verify: bool) -> Any:
    payload = _torch_load(path, label, map_location, mmap)
    if is_pointer(payload):
        return payload
    if not isinstance(payload, dict):
        raise CheckpointFormatError(f"{label} is not a ckptlint checkpoint (it holds a "
                                    f"{type(payload).__name__})")
    check_version(label, payload)
    if verify:
        verify_payload(path, label, payload)
    return upgrade(label, payload)


def verify_payload(path: str, label: str, payload: dict[str, Any]) -> None:
    """Per-tensor checksums plus the structure's CRCs, or every CRC when there are no checksums."""
    record = payload.get("checksums")
    if isinstance(record, dict):
        verify_zip_crcs(path, label, data_members=False)
        verify_tensors(label, payload, record)
    else:
        verify_zip_crcs(path, label)
