"""Rank helpers that work with or without a process group (and without torch).

When a ``torch.distributed`` process group is initialised, these use it. Before
that (or without torch), they read the environment the way launchers set it,
as Lightning's ``rank_zero`` does: ``RANK``, then ``LOCAL_RANK``, then
``SLURM_PROCID``, then ``JSM_NAMESPACE_RANK``; world size from ``WORLD_SIZE``
then ``SLURM_NTASKS``. Otherwise every torchrun worker would believe it is the
main process until ``init_process_group`` runs. With nothing set: rank 0,
world size 1, main process, and ``barrier()`` is a no-op.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Optional, TypeVar

from ._torch import torch_if_loaded
from .errors import CheckpointError

__all__ = ["is_main_process", "barrier", "get_rank", "get_world_size", "any_rank"]

RANK_ENV_KEYS = ("RANK", "LOCAL_RANK", "SLURM_PROCID", "JSM_NAMESPACE_RANK")
WORLD_SIZE_ENV_KEYS = ("WORLD_SIZE", "SLURM_NTASKS")

T = TypeVar("T")


def _env_int(keys: tuple[str, ...]) -> Optional[int]:
    for key in keys:
        value = os.environ.get(key)
        if value is not None and value.strip().lstrip("-").isdigit():
            return int(value)
    return None


def dist_if_initialized() -> Any:
    """``torch.distributed`` when a default process group exists, else None."""
    torch = torch_if_loaded()
    if torch is None:
        return None
    dist = getattr(torch, "distributed", None)
    if dist is None or not dist.is_available() or not dist.is_initialized():
        return None
    return dist


def get_rank() -> int:
    """Global rank: from the process group, else from the environment, else 0."""
    dist = dist_if_initialized()
    if dist is not None:
        return int(dist.get_rank())
    rank = _env_int(RANK_ENV_KEYS)
    return rank if rank is not None else 0


def get_world_size() -> int:
    """World size: from the process group, else from the environment, else 1."""
    dist = dist_if_initialized()
    if dist is not None:
        return int(dist.get_world_size())
    size = _env_int(WORLD_SIZE_ENV_KEYS)
    return size if size is not None and size > 0 else 1


def is_main_process() -> bool:
    """True on global rank 0 (see the module docstring for the env fallback)."""
    return get_rank() == 0


def barrier() -> None:
    """``dist.barrier()`` under a process group; a no-op otherwise."""
    dist = dist_if_initialized()
    if dist is not None:
        dist.barrier()


def run_on_main(fn: Callable[[], T], what: str) -> Optional[T]:
    """Run ``fn`` on the main process and make its outcome everyone's outcome.

    Without a process group this is just ``fn()`` on the main process. Under a
    group, rank 0 runs ``fn``; its error (or its result) is then broadcast,
    which is also the barrier that makes the result visible to every rank, and
    every rank returns rank 0's result (keep it small and picklable: a path or
    a name). Rank 0 re-raises its own exception; the other ranks raise
    :class:`CheckpointError` naming ``what`` and rank 0's error. No rank is
    left waiting in a barrier. Every rank must call this (it is a collective
    under a group).
    """
    dist = dist_if_initialized()
    if dist is None:
        return fn() if is_main_process() else None
    result: Optional[T] = None
    error: Optional[BaseException] = None
    if dist.get_rank() == 0:
        try:
            result = fn()
        except Exception as exc:  # broadcast, then re-raise below
            error = exc
    box = [(None if error is None else f"{type(error).__name__}: {error}", result)]
    dist.broadcast_object_list(box, src=0)
    if error is not None:
        raise error
    message, shared = box[0]
    if message is not None:
        raise CheckpointError(f"rank 0 failed to {what}: {message}")
    return shared


def run_on_all(fn: Callable[[], T], what: str) -> T:
    """Run ``fn`` on every rank; if it fails on any rank, raise on every rank.

    Used before a collective that every rank must enter together (a DCP
    save): a rank that failed alone would leave the others waiting in it
    until the process-group timeout. The error messages (or None) are
    all-gathered, which is small whatever the world size. The failing rank
    re-raises its own exception; the others raise :class:`CheckpointError`
    naming ``what`` and the first failing rank.
    """
    dist = dist_if_initialized()
    if dist is None:
        return fn()
    result: Optional[T] = None
    error: Optional[BaseException] = None
    try:
        result = fn()
    except Exception as exc:  # gathered, then re-raised below
        error = exc
    messages: list[Optional[str]] = [None] * dist.get_world_size()
    dist.all_gather_object(messages, None if error is None else f"{type(error).__name__}: {error}")
    if error is not None:
        raise error
    failed = [(rank, message) for rank, message in enumerate(messages) if message is not None]
    if failed:
        raise CheckpointError(f"{what}: rank {failed[0][0]} failed: {failed[0][1]}")
    return result  # type: ignore[return-value]


def any_rank(flag: bool) -> bool:
    """True when ``flag`` is True on at least one rank; a collective under a group.

    An ``all_reduce`` (MAX) of one number, on the device the backend
    communicates from (the current CUDA device for NCCL, the CPU otherwise),
    as Lightning's ``reduce_boolean_decision`` does. Without a group, ``flag``.
    """
    dist = dist_if_initialized()
    if dist is None:
        return bool(flag)
    import torch
    device = "cpu"
    if dist.get_backend() == "nccl":
        device = f"cuda:{torch.cuda.current_device()}"
    value = torch.tensor([1 if flag else 0], device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item())
