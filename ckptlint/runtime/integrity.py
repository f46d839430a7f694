"""Detect corruption that still loads: per-tensor checksums and the zip archive's CRCs.

torch does not check the CRC-32s its zip writer records, so bytes zeroed or
flipped inside a tensor's data load silently as wrong weights. Two checks:

* **Per-tensor checksums** (format 2): ``save_checkpoint`` stores
  ``zlib.crc32`` of every tensor's contiguous bytes under a label naming
  where it sits (``model['0.weight']``, ``optimizer['state'][0]['exp_avg']``);
  :func:`verify_tensors` recomputes them after loading and names the first
  tensor that differs. Costs one pass over the tensors (about 3 GB/s).
  Tensors without one plain strided storage (sparse, quantized, nested,
  meta) are not covered.
* **Zip CRCs**: :func:`verify_zip_crcs` reads members and checks the CRC-32
  the writer recorded, naming the member. Used for the small records that
  hold the pickled structure (``data.pkl``) of every file, and for every
  member of a file without checksums (format 1, upgraded).
"""

from __future__ import annotations

import ctypes
import re
import zipfile
import zlib
from typing import Any, Iterator, Mapping, Optional

from ._torch import require_torch
from .errors import CheckpointCorruptError
from .format import CHECKSUM_ALGORITHM

__all__ = ["tensor_checksums", "checksum_record", "verify_tensors", "verify_zip_crcs"]

# Storage records of a torch zip archive: "<archive>/data/<key>"; everything else is structure.
_DATA_MEMBER = re.compile(r"^[^/]+/data/\d+$")
_CHUNK = 1 << 24


def _crc(tensor: Any) -> Optional[int]:
    """crc32 of the tensor's contiguous CPU bytes; None for layouts without plain storage."""
    torch = require_torch()
    if tensor.layout != torch.strided or tensor.is_quantized or tensor.is_meta:
        return None
    data = tensor.detach()
    if data.device.type != "cpu":
        data = data.cpu()
    data = data.contiguous()
    size = data.numel() * data.element_size()
    if size == 0:
        return zlib.crc32(b"")
    buffer = (ctypes.c_char * size).from_address(data.data_ptr())
    return zlib.crc32(memoryview(buffer).cast("B"))


def _tensors(value: Any, label: str) -> Iterator[tuple[str, Any]]:
    """(label, tensor) for every tensor inside dicts, lists and tuples."""
    torch = require_torch()
    stack = [(value, label)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, torch.Tensor):
            yield where, item
        elif isinstance(item, Mapping):
            stack.extend((sub, f"{where}[{key!r}]") for key, sub in item.items())
        elif isinstance(item, (list, tuple)):
            stack.extend((sub, f"{where}[{i}]") for i, sub in enumerate(item))


def tensor_checksums(payload: Mapping[str, Any]) -> dict[str, int]:
    """Label -> crc32 for every covered tensor in the payload's entries."""
    sums = {}
    for key, value in payload.items():
        for label, tensor in _tensors(value, str(key)):
            crc = _crc(tensor)
            if crc is not None:
                sums[label] = crc
    return sums


def checksum_record(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The ``"checksums"`` entry of a format-2 checkpoint."""
    return {"algorithm": CHECKSUM_ALGORITHM, "tensors": tensor_checksums(payload)}


def verify_tensors(label: str, payload: Mapping[str, Any], record: Mapping[str, Any]) -> None:
    """Raise CheckpointCorruptError naming the first tensor whose bytes changed since the save."""
    if record.get("algorithm") != CHECKSUM_ALGORITHM:
        raise CheckpointCorruptError(f"{label}: unknown checksum algorithm "
                                     f"{record.get('algorithm')!r} (expected {CHECKSUM_ALGORITHM!r})")
    expected = dict(record.get("tensors") or {})
    found = tensor_checksums({k: v for k, v in payload.items() if k != "checksums"})
    missing = sorted(key for key in expected if key not in found)
    changed = sorted(key for key, crc in expected.items() if key in found and found[key] != crc)
    if changed:
        raise CheckpointCorruptError(
            f"{label} is corrupt: the data of {_shown(changed)} changed since it was saved "
            "(checksum mismatch); the file loads, but with wrong values. Use an earlier checkpoint.")
    if missing:
        raise CheckpointCorruptError(
            f"{label} is corrupt or was edited after saving: its checksums list {_shown(missing)}, "
            "which it does not hold.")


def _shown(keys: list[str]) -> str:
    return ", ".join(keys[:5]) + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")


def _check_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    with archive.open(info) as member:  # zipfile checks the CRC-32 at the end of the member
        while member.read(_CHUNK):
            pass


def verify_zip_crcs(path: str, label: str, data_members: bool = True) -> None:
    """Raise CheckpointCorruptError naming the first member whose CRC-32 does not match.

    ``data_members=False`` checks only the structure records (``data.pkl``,
    ``byteorder``, ...), leaving tensor data to :func:`verify_tensors`.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if data_members or not _DATA_MEMBER.match(info.filename):
                    try:
                        _check_member(archive, info)
                    except zipfile.BadZipFile as exc:
                        raise CheckpointCorruptError(
                            f"{label} is corrupt: member {info.filename} fails its CRC-32 check "
                            f"({exc}); use an earlier checkpoint") from exc
    except (OSError, zipfile.BadZipFile) as exc:
        raise CheckpointCorruptError(f"{label} cannot be verified: {exc}") from exc
