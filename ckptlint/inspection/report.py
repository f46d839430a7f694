"""What `ckptlint inspect` found in one path: plain frozen data, rendered elsewhere.

A :class:`FileReport` is built once (by :mod:`ckptlint.inspection.inspector`)
and then only formatted (text or JSON), so both outputs always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple, Union

EXIT_CLEAN, EXIT_PROBLEMS, EXIT_UNREADABLE = 0, 1, 2

Scalar = Union[int, float, str, None]


@dataclass(frozen=True)
class Finding:
    """One problem. ``code`` is the catalog rule's code when a rule fits, else None."""

    name: str
    code: Optional[str]
    message: str


@dataclass(frozen=True)
class Weights:
    """A state dict: tensors counted once per storage view (tied weights are shared)."""

    location: str  # the key path in the file: "model", "state_dict", "" for the whole file
    is_model: bool  # the model's weights, as opposed to an EMA copy or a second network
    tensors: int
    parameters: int
    bytes: int
    dtypes: Dict[str, int]
    devices: Tuple[str, ...]  # where the tensors were saved from (empty when unknown)
    prefix: str  # a wrapper prefix every key carries ("module.", "_orig_mod."), else ""


@dataclass(frozen=True)
class TrainingState:
    """An optimizer, scheduler or scaler state dict, with a one-line summary of it."""

    location: str
    summary: str


@dataclass(frozen=True)
class Rng:
    """RNG state: which generators it covers, and how much of CUDA."""

    location: str
    sources: Tuple[str, ...]  # "torch", "cuda", "numpy", "python", "generators"
    cuda: str  # "none", "every-device" (a list per device), "current-device-only" or "unknown"
    ranks: Optional[int]  # ranks covered, when the layout records them


@dataclass(frozen=True)
class Pointer:
    """A ckptlint pointer file (latest.pt / best.pt) and the checkpoint it names."""

    target: str
    target_exists: bool
    epoch: Scalar
    step: Scalar


@dataclass(frozen=True)
class Contents:
    """What a loaded checkpoint (or a DCP folder's metadata) holds."""

    layout: str  # "ckptlint", "ckptlint-pointer", "ckptlint-sharded", "bare-state-dict", "dict", "dcp", "other"
    kind: str  # "training-checkpoint", "weights-only", "pointer", "unrecognised"
    format: Optional[str] = None  # the payload's own "format" entry (ckptlint's files have one)
    weights: Tuple[Weights, ...] = ()
    optimizers: Tuple[TrainingState, ...] = ()
    schedulers: Tuple[TrainingState, ...] = ()
    scalers: Tuple[TrainingState, ...] = ()
    rng: Tuple[Rng, ...] = ()
    counters: Dict[str, Scalar] = field(default_factory=dict)
    torch_version: Optional[str] = None
    versions: Dict[str, str] = field(default_factory=dict)  # other libraries' versions
    other_keys: Tuple[str, ...] = ()
    pointer: Optional[Pointer] = None


@dataclass(frozen=True)
class Shard:
    """One data file of a torch.distributed.checkpoint folder."""

    name: str
    bytes: int


@dataclass(frozen=True)
class FileReport:
    """Everything reported for one path. ``readable`` is False when the file could
    not be read at all (missing, empty, truncated, not a checkpoint): exit 2."""

    path: str
    container: str  # "zip", "legacy", "dcp", "empty", "missing", "directory", "unknown"
    size: Optional[int]
    readable: bool
    contents: Optional[Contents] = None
    unsafe_globals: Tuple[str, ...] = ()
    findings: Tuple[Finding, ...] = ()
    error: Optional[str] = None
    shards: Tuple[Shard, ...] = ()

    @property
    def status(self) -> str:
        if not self.readable:
            return "unreadable"
        return "problems" if self.findings else "ok"

    @property
    def exit_code(self) -> int:
        return {"ok": EXIT_CLEAN, "problems": EXIT_PROBLEMS, "unreadable": EXIT_UNREADABLE}[self.status]


def plural(count: int, word: str) -> str:
    """1 parameter, 2 parameters: the one wording rule every summary uses."""
    return f"{count} {word}{'' if count == 1 else 's'}"
