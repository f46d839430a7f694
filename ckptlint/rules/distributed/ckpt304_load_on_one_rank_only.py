"""CKPT304 load-on-one-rank-only: training state restored on rank 0 and nowhere else."""

from __future__ import annotations

from ckptlint.rules.base import Context, FixAvailability, Invalid, Rule, Valid
from ckptlint.rules.words import DISTRIBUTED, LOADS, TORCH
from ckptlint.semantic.facts.kinds import Kind
from ckptlint.semantic.facts.resume import LoadSite

_TRAINING_STATE = (Kind.OPTIMIZER, Kind.SCHEDULER, Kind.SCALER)


class LoadOnOneRankOnly(Rule):
    """
    ## What it does
    Flags a `torch.load` under a rank guard, in a distributed script, whose
    result restores (under that guard) optimizer, scheduler or scaler state,
    or the weights of a model that is already wrapped in
    `DistributedDataParallel`/FSDP, when the load is a resume load (it
    restores training state, sits under a resume flag, or its epoch starts
    the training loop). A rank-0-only load of model weights *before* the
    DDP wrap, and a guarded load used only for evaluation, are fine.

    ## Why is this bad?
    Nothing synchronises optimizer, scheduler or scaler state across ranks:
    the other ranks resume with fresh momentum buffers, another learning
    rate or another loss scale, and the replicas drift apart. DDP broadcasts
    rank 0's weights once, when it is built; weights loaded into the wrapped
    model afterwards stay on rank 0 only.

    ## Example
    ```python
    import torch
    import torch.distributed as dist

    dist.init_process_group("nccl")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    if dist.get_rank() == 0:
        ckpt = torch.load("last.pt", map_location="cpu")
        optimizer.load_state_dict(ckpt["optimizer"])
    ```

    Use instead:
    ```python
    import torch
    import torch.distributed as dist

    dist.init_process_group("nccl")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    ckpt = torch.load("last.pt", map_location="cpu")
    optimizer.load_state_dict(ckpt["optimizer"])
    ```
    """

    code = "CKPT304"
    name = "load-on-one-rank-only"
    message = "Training state restored on one rank only: the other ranks resume from different state"
    fix_availability = FixAvailability.NEVER
    fix_class = "none"
    requires = (TORCH, LOADS, ("load_state_dict",), DISTRIBUTED)

    VALID = [
        Valid(
            """
            import torch
            import torch.distributed as dist
            from torch.nn.parallel import DistributedDataParallel as DDP
            dist.init_process_group("nccl")
            model = Net()
            if dist.get_rank() == 0:
                model.load_state_dict(torch.load("init.pt", map_location="cpu"))  # before the wrap
            model = DDP(model)
            """
        ),
        Valid(
            """
            import torch
            import torch.distributed as dist
            from torch.nn.parallel import DistributedDataParallel as DDP
            dist.init_process_group("nccl")
            model = DDP(Net())
            if dist.get_rank() == 0:
                model.module.load_state_dict(torch.load("best.pt", map_location="cpu"))
                evaluate(model)  # evaluation only: not a resume load
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            import torch.distributed as dist
            dist.init_process_group("nccl")
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
            if dist.get_rank() == 0:
                ckpt = torch.load("last.pt", map_location="cpu")
                optimizer.load_state_dict(ckpt["optimizer"])
            """
        ),
        Invalid(
            """
            import torch
            import torch.distributed as dist
            from torch.nn.parallel import DistributedDataParallel as DDP
            dist.init_process_group("nccl")
            model = DDP(Net())
            if args.resume and dist.get_rank() == 0:
                model.module.load_state_dict(torch.load(args.resume, map_location="cpu")["model"])
            """
        ),
    ]

    def applies(self, ctx: Context) -> bool:
        return ctx.model.distributed.is_distributed

    def check_load(self, load: LoadSite, ctx: Context) -> None:
        model = ctx.model
        guards = model.guards
        if guards.guard_of(load.call) is None:
            return
        # `ddp_model.module.load_state_dict(...)` loads into the DDP-wrapped model
        restored = [model.kinds.of_keeping_wrap(r.receiver) for r in load.restores if guards.guard_of(r.call) is not None]
        training = any(k is not None and k.kind in _TRAINING_STATE for k in restored)
        wrapped_model = any(k is not None and k.kind is Kind.MODEL and k.wrap in ("ddp", "fsdp") for k in restored)
        if training or wrapped_model and model.resume.is_resume(load, restores_training_state=False):
            ctx.report(load.call)
