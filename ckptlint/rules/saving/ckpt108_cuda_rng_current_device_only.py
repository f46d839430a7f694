"""CKPT108 cuda-rng-current-device-only: `torch.cuda.get_rng_state()` saved by a single-process multi-GPU script."""

from __future__ import annotations

from functools import partial
from typing import List, Optional

import libcst as cst

from ckptlint.fixes import Applicability, Edit, Fix, builders
from ckptlint.rules.base import Context, FixAvailability, Invalid, Rule, Valid
from ckptlint.rules.words import SAVES, TORCH
from ckptlint.semantic.data import catalog
from ckptlint.semantic.facts.saves import SaveSite
from ckptlint.semantic.model import SemanticModel


class CudaRngCurrentDeviceOnly(Rule):
    """
    ## What it does
    Flags `torch.cuda.get_rng_state()` without a device, stored in a
    checkpoint, in a script that is not distributed. It is silent in
    distributed scripts, where each process owns one device.

    ## Why is this bad?
    Without a device, `get_rng_state()` returns the state of the current
    device only. A single process that drives several GPUs (`DataParallel`,
    model parallelism) restores one generator and leaves the others where a
    fresh process starts them, so the resumed run draws different numbers on
    every other GPU.

    ## Example
    ```python
    import torch

    torch.save({"cuda_rng": torch.cuda.get_rng_state()}, "rng.pt")
    ```

    Use instead:
    ```python
    import torch

    torch.save({"cuda_rng": torch.cuda.get_rng_state_all()}, "rng.pt")
    ```

    ## Fix safety
    Unsafe: the fix calls `torch.cuda.get_rng_state_all()`, and rewrites
    the same file's `torch.cuda.set_rng_state(ckpt["<same key>"])` into
    `set_rng_state_all(...)`. The stored value becomes a list of tensors, so
    any other code that reads it (another script, an older checkpoint loaded
    by the new code) must change too.
    """

    code = "CKPT108"
    requires = (TORCH, SAVES, ("get_rng_state",))
    name = "cuda-rng-current-device-only"
    message = "`torch.cuda.get_rng_state()` saves the current device's RNG only"
    fix_title = "Save every device's RNG with `get_rng_state_all()`"
    fix_availability = FixAvailability.SOMETIMES
    fix_class = "unsafe"

    VALID = [
        Valid(
            """
            import os
            import torch
            local_rank = int(os.environ["LOCAL_RANK"])
            torch.save({"cuda_rng": torch.cuda.get_rng_state()}, f"rng{local_rank}.pt")
            """
        ),
        Valid(
            """
            import torch
            torch.save({"cuda_rng": torch.cuda.get_rng_state(device=1)}, "rng.pt")
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch as th
            def save(path):
                cuda_state = th.cuda.get_rng_state()
                th.save({"cuda_rng": cuda_state, "cpu_rng": th.get_rng_state()}, path)
            def restore(path):
                ckpt = th.load(path)
                th.cuda.set_rng_state(ckpt["cuda_rng"])
            """,
            fixed="""
            import torch as th
            def save(path):
                cuda_state = th.cuda.get_rng_state_all()
                th.save({"cuda_rng": cuda_state, "cpu_rng": th.get_rng_state()}, path)
            def restore(path):
                ckpt = th.load(path)
                th.cuda.set_rng_state_all(ckpt["cuda_rng"])
            """,
            applicability=Applicability.UNSAFE,
        ),
    ]

    def check_save(self, save: SaveSite, ctx: Context) -> None:
        model = ctx.model
        checkpoints = model.checkpoints
        for entry in checkpoints.saved_values(save):
            for call in checkpoints.calls_in(entry, catalog.CUDA_RNG_CURRENT_DEVICE):
                if call.args:
                    continue
                if model.distributed.is_distributed:
                    return
                ctx.report(call, fix=partial(self._fix, ctx, call, entry.key))

    def _fix(self, ctx: Context, call: cst.Call, key: Optional[str]) -> Optional[Fix]:
        if not isinstance(call.func, cst.Attribute):
            return None  # `from torch.cuda import get_rng_state`: the `_all` name is not imported
        model = ctx.model
        edits: List[Optional[Edit]] = [_rename(model, call, "get_rng_state_all")]
        if key is not None:
            for restore in model.checkpoints.calls_reading_key(catalog.CUDA_RNG_SET_CURRENT_DEVICE, key):
                if isinstance(restore.func, cst.Attribute):
                    edits.append(_rename(model, restore, "set_rng_state_all"))
        return ctx.fix(edits, Applicability.UNSAFE)


def _rename(model: SemanticModel, call: cst.Call, attribute: str) -> Edit:
    func = call.func
    assert isinstance(func, cst.Attribute)
    return builders.replace_node(model, func.attr, cst.Name(attribute))
