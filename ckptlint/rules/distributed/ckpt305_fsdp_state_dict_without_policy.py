"""CKPT305 fsdp-state-dict-without-policy: an FSDP model's `state_dict()` saved without choosing what it holds."""

from __future__ import annotations

import libcst as cst

from ckptlint.rules.base import Context, FixAvailability, Invalid, Rule, Valid
from ckptlint.rules.words import SAVES, STATE_DICT, TORCH
from ckptlint.semantic.core.syntax import is_state_dict_call
from ckptlint.semantic.facts.saves import SaveSite


class FsdpStateDictWithoutPolicy(Rule):
    """
    ## What it does
    Flags `state_dict()` of a model wrapped in `FullyShardedDataParallel`
    when a save writes it (alone or in a checkpoint dict) outside a
    `with FSDP.state_dict_type(...)` block, in a file that never calls
    `FSDP.set_state_dict_type(...)`. Saves through
    `torch.distributed.checkpoint` and state taken with
    `get_model_state_dict`/`get_state_dict` are not flagged.

    ## Why is this bad?
    What an FSDP model's `state_dict()` returns depends on the configured
    state-dict type, and every rank must call it (it is a collective).
    Without an explicit policy the checkpoint holds whatever the default is
    for this torch version: sharded tensors that a plain `load_state_dict`
    cannot read back, or a full copy gathered on every rank's GPU. Choose
    `FULL_STATE_DICT` (with CPU offload, rank 0 only) or save sharded state
    with `torch.distributed.checkpoint`.

    ## Example
    ```python
    import torch
    from torch.distributed.fsdp import FullyShardedDataParallel as FSDP

    model = FSDP(Net())
    torch.save({"model": model.state_dict()}, "ckpt.pt")
    ```

    Use instead:
    ```python
    import torch
    from torch.distributed.fsdp import FullyShardedDataParallel as FSDP, FullStateDictConfig, StateDictType

    model = FSDP(Net())
    policy = FullStateDictConfig(offload_to_cpu=True, rank0_only=True)
    with FSDP.state_dict_type(model, StateDictType.FULL_STATE_DICT, policy):
        state = model.state_dict()
    torch.save({"model": state}, "ckpt.pt")
    ```
    """

    code = "CKPT305"
    name = "fsdp-state-dict-without-policy"
    message = "`state_dict()` of an FSDP model saved without `FSDP.state_dict_type(...)`"
    fix_availability = FixAvailability.NEVER
    fix_class = "none"
    requires = (TORCH, SAVES, STATE_DICT, ("FullyShard*",))

    VALID = [
        Valid(
            """
            import torch
            from torch.distributed.fsdp import FullyShardedDataParallel as FSDP, StateDictType
            model = FSDP(Net())
            with FSDP.state_dict_type(model, StateDictType.FULL_STATE_DICT):
                torch.save({"model": model.state_dict()}, "ckpt.pt")
            """
        ),
        Valid(
            """
            import torch
            from torch.distributed.fsdp import FullyShardedDataParallel as FSDP, StateDictType
            model = FSDP(Net())
            FSDP.set_state_dict_type(model, StateDictType.SHARDED_STATE_DICT)
            torch.save(model.state_dict(), f"shard{rank}.pt")
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            from torch.distributed.fsdp import FullyShardedDataParallel
            model = FullyShardedDataParallel(Net())
            torch.save({"model": model.state_dict(), "epoch": 3}, "ckpt.pt")
            """
        ),
    ]

    def applies(self, ctx: Context) -> bool:
        return not ctx.model.fsdp_policy.sets_default

    def check_save(self, save: SaveSite, ctx: Context) -> None:
        model = ctx.model
        if model.fsdp_policy.governs(save.call):
            return
        checkpoint = model.checkpoints.of(save)
        values = [e.value for e in checkpoint.entries] if checkpoint is not None else []
        if save.obj is not None and not values:
            values = [save.obj]
        for value in values:
            if isinstance(value, cst.Call) and is_state_dict_call(value):
                kind = model.kinds.of(cst.ensure_type(value.func, cst.Attribute).value)
                if kind is not None and kind.wrap == "fsdp":
                    ctx.report(value)
