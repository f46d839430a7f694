"""Open one ``torch.save`` file without running code from it.

The order matters: first the container (empty? zip? legacy pickle?), then the
globals the pickle would need (read statically, nothing imported), and only
when none is outside ``weights_only``'s allowlist, ``torch.load(...,
weights_only=True)`` (memory-mapped for zip files, so a 10 GB checkpoint is
not read into memory). ``weights_only=False`` is never used: a file that needs
it is reported, not loaded.

Tensors are loaded onto the CPU through a ``map_location`` callable that
records where each storage was saved from, so a CUDA checkpoint is described
("cuda:0") on a machine without a GPU.
"""

from __future__ import annotations

import os
import pickle
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, FrozenSet, Optional, Tuple

from ckptlint.inspection.safe_pickle import globals_in_legacy_file
from ckptlint.runtime.atomic import check_zip_structure, unsafe_globals
from ckptlint.runtime.errors import CheckpointCorruptError

ZIP_MAGIC = b"PK\x03\x04"
PICKLE_PROTO = b"\x80"
# What torch raises for a file cut short, depending on where it was cut (RUNTIME.md §1.3).
READ_ERRORS = (RuntimeError, ValueError, EOFError, OSError, KeyError, zipfile.BadZipFile)


@dataclass(frozen=True)
class Opened:
    """The outcome of opening a file: a payload, or the reason there is none."""

    container: str  # "zip", "legacy", "empty", "unknown"
    size: int
    payload: Any = None
    saved_locations: Dict[int, str] = field(default_factory=dict)  # storage data_ptr -> location
    unsafe_globals: Tuple[str, ...] = ()
    truncated: Optional[str] = None  # why the file is incomplete
    error: Optional[str] = None  # why it is not a torch.save file at all


def open_checkpoint(path: str) -> Opened:
    """Read what can be read safely from the ``torch.save`` file at ``path``."""
    size = os.path.getsize(path)
    if size == 0:
        return Opened("empty", 0, truncated="empty (0 bytes): typically a crash during a non-atomic save")
    with open(path, "rb") as stream:
        head = stream.read(len(ZIP_MAGIC))
    if ZIP_MAGIC.startswith(head):  # a file cut inside the magic number is a zip cut short
        return _open_zip(path, size)
    if head.startswith(PICKLE_PROTO):
        return _open_legacy(path, size)
    return Opened("unknown", size, error=f"not a torch.save file (it starts with {head!r})")


def _truncated(container: str, size: int, exc: BaseException) -> Opened:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return Opened(container, size, truncated=f"truncated or corrupt ({size:,} bytes): {detail}")


def _open_zip(path: str, size: int) -> Opened:
    try:
        check_zip_structure(path)
    except CheckpointCorruptError:
        return Opened("zip", size, truncated=f"truncated ({size:,} bytes): the zip archive has no "
                                             "central directory, so the write never finished")
    if _is_torchscript(path):
        return Opened("zip", size, error="a TorchScript archive (torch.jit.save), not a torch.save "
                                         "checkpoint: open it with torch.jit.load")
    try:
        refused = [_global_name(entry) for entry in unsafe_globals(path)]
    except READ_ERRORS as exc:
        return _truncated("zip", size, exc)
    if refused:
        return Opened("zip", size, unsafe_globals=tuple(sorted(refused)))
    return _load(path, size, "zip", mmap=True)


def _open_legacy(path: str, size: int) -> Opened:
    try:
        found = globals_in_legacy_file(path)
    except READ_ERRORS as exc:  # pickletools: "pickle exhausted before seeing STOP"
        return _truncated("legacy", size, exc)
    allowed = _weights_only_allowlist()
    refused = sorted(found - allowed) if allowed is not None else []
    if refused:
        return Opened("legacy", size, unsafe_globals=tuple(refused))
    return _load(path, size, "legacy", mmap=False)  # torch can mmap zip files only


def _load(path: str, size: int, container: str, mmap: bool) -> Opened:
    import torch

    recorder, locations = _location_recorder()
    try:
        payload = torch.load(path, map_location=recorder, weights_only=True, mmap=mmap)
    except pickle.UnpicklingError as exc:  # a global the static scan could not see
        return Opened(container, size, unsafe_globals=(_global_name(str(exc)),))
    except READ_ERRORS as exc:
        return _truncated(container, size, exc)
    return Opened(container, size, payload=payload, saved_locations=locations)


def _location_recorder() -> Tuple[Callable[[Any, str], Any], Dict[int, str]]:
    """A ``map_location`` that keeps every storage on the CPU and notes where it came from."""
    locations: Dict[int, str] = {}

    def record(storage: Any, location: str) -> Any:
        locations[storage.data_ptr()] = location
        return storage

    return record, locations


def _global_name(refusal: str) -> str:
    """The global a weights_only refusal names ("Unsupported global: GLOBAL argparse.Namespace
    was not an allowed global ..."); a dotted name passes through unchanged."""
    match = re.search(r"GLOBAL ([\w.]+)", refusal)
    if match:
        return match.group(1)
    return refusal.splitlines()[0] if refusal else "<unknown>"


def _is_torchscript(path: str) -> bool:
    with zipfile.ZipFile(path) as archive:
        return any(name.split("/", 1)[-1] == "constants.pkl" for name in archive.namelist())


def _weights_only_allowlist() -> Optional[FrozenSet[str]]:
    """The globals ``weights_only=True`` accepts, or None where torch does not expose them.

    Only legacy files need this (zip files are scanned by torch's
    ``get_unsafe_globals_in_checkpoint``). Without the list the load itself
    decides, and its error names the first refused global.
    """
    from torch import _weights_only_unpickler as unpickler

    default = getattr(unpickler, "_get_allowed_globals", None)
    user = getattr(unpickler, "_get_user_allowed_globals", None)
    if default is None or user is None:
        return None
    return frozenset(default()) | frozenset(user())
