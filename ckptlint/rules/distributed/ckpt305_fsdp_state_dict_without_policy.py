"""CKPT305 fsdp-state-dict-without-policy: an FSDP model's `state_dict()` saved without choosing what it holds."""

from __future__ import annotations

import libcst as cst

from ckptlint.rules.base import Context, FixAvailability, Invalid, Rule, Valid
from ckptlint.rules.words import SAVES, STATE_DICT, TORCH
from ckptlint.semantic.facts.saves import SaveSite


class FsdpStateDictWithoutPolicy(Rule):
    """
    ## What it does
    Flags `state_dict()` of a model wrapped in `FullyShardedDataParallel`
    that a save writes (alone, in a checkpoint dict, or through a name it
    is assigned to) when it is taken outside a `with
    FSDP.state_dict_type(...)` block, in a file that never calls
    `FSDP.set_state_dict_type(...)`. What counts is where `state_dict()`
    runs, not where the save is. Saves through
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
        Valid(
            """
            import torch
            from torch.distributed.fsdp import FullyShardedDataParallel as FSDP, StateDictType

            model = FSDP(net)
            with FSDP.state_dict_type(model, StateDictType.FULL_STATE_DICT):
                state = {"model": model.state_dict()}  # taken under the policy
            torch.save(state, "last.pt")
            """
        ),
        Valid(
            """
            import torch
            from torch.distributed.fsdp import FullyShardedDataParallel as FSDP, StateDictType

            def save(net, path):
                model = FSDP(net)
                with FSDP.state_dict_type(model, StateDictType.FULL_STATE_DICT):
                    weights = model.state_dict()
                torch.save({"model": weights}, path)
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
        Invalid(
            """
            import torch
            from torch.distributed.fsdp import FullyShardedDataParallel as FSDP, StateDictType

            model = FSDP(net)
            weights = model.state_dict()  # taken before the policy is chosen
            with FSDP.state_dict_type(model, StateDictType.FULL_STATE_DICT):
                torch.save(weights, "last.pt")
            """
        ),
    ]

    def applies(self, ctx: Context) -> bool:
        return not ctx.model.fsdp_policy.sets_default

    def check_save(self, save: SaveSite, ctx: Context) -> None:
        model = ctx.model
        checkpoints = model.checkpoints
        for entry in checkpoints.saved_values(save):
            state = checkpoints.state_dict_call(entry.value)  # also through `sd = model.state_dict()`
            if state is None or model.fsdp_policy.governs(state):
                continue  # the policy applies where the state dict is taken, not where it is saved
            kind = model.kinds.of(cst.ensure_type(state.func, cst.Attribute).value)
            if kind is not None and kind.wrap == "fsdp":
                ctx.report(state)
