"""CKPT301 all-ranks-save: a checkpoint written by every rank of a distributed job."""

from __future__ import annotations

from functools import partial
from typing import Optional

import libcst as cst

from ckptlint.fixes import Applicability, Fix, builders
from ckptlint.fixes.imports import runtime_reference
from ckptlint.rules.base import Context, FixAvailability, Invalid, Rule, Valid
from ckptlint.rules.words import DISTRIBUTED, SAVES, TORCH
from ckptlint.semantic.facts.saves import SaveSite


# The other modules of the project in the multi-module examples below.
_DIST_UTILS = {
    "dist_utils.py": """
        import os
        import torch.distributed as dist

        def init_distributed_mode(args):
            args.rank = int(os.environ["RANK"])
            dist.init_process_group("nccl", rank=args.rank)

        def is_main_process():
            return dist.get_rank() == 0
    """,
}


class AllRanksSave(Rule):
    """
    ## What it does
    Flags a save (`torch.save`, or a call of a same-file save helper) in a
    distributed script (one that calls `init_process_group`, wraps a model in
    DDP/FSDP or calls `fully_shard`, builds a `DistributedSampler`, or reads
    `RANK`/`LOCAL_RANK` from the environment) that no rank guard protects: no
    enclosing `if rank == 0:` (or `is_main_process()`, `args.local_rank in
    [-1, 0]`, a `master_process` flag...), no early `return` on the negation,
    no `@rank_zero_only`, and not in a same-file function that is only
    called under such a guard. The call of a save helper whose own save runs
    only under a rank guard (`save_on_master`) is a rank-guarded save. A helper that the file never calls, in a
    module that is distributed only because it reads `RANK`/`LOCAL_RANK`
    (a utility module), is not checked: its callers decide.

    Silent when the path or the payload depends on the rank (per-rank files),
    when the payload is sharded or collective state (an FSDP `state_dict()`,
    `get_model_state_dict`, a ZeRO optimizer after `consolidate_state_dict`),
    and for `torch.distributed.checkpoint`.

    ## Why is this bad?
    Every process writes the same file at the same time. On shared storage
    the writes race: the file can end up truncated or interleaved, a reader
    can see a half-written checkpoint, and N-1 of the writes are wasted I/O.

    ## Example
    ```python
    import torch
    import torch.distributed as dist

    dist.init_process_group("nccl")
    torch.save(model.state_dict(), "ckpt.pt")
    ```

    Use instead:
    ```python
    import torch
    import torch.distributed as dist

    dist.init_process_group("nccl")
    if dist.get_rank() == 0:
        torch.save(model.state_dict(), "ckpt.pt")
    ```

    ## Fix safety
    The fix wraps the save statement in `if ckptlint.runtime.is_main_process():`
    (true outside a process group too). It is unsafe: other ranks that read
    the file right after the save now race with rank 0's write and need a
    barrier (CKPT302), and code after the save that expects the file on every
    node's local disk changes behaviour. Only a save that is a statement of
    its own gets a fix.
    """

    code = "CKPT301"
    name = "all-ranks-save"
    message = "Save runs on every rank: no rank guard"
    fix_title = "Wrap the save in `if ckptlint.runtime.is_main_process():`"
    fix_availability = FixAvailability.SOMETIMES
    fix_class = "unsafe"
    # A save, and one of the words every "distributed script" form contains
    # (`init_process_group`, `DistributedDataParallel`/`DDP`..., `fully_shard`,
    # `DistributedSampler`, `RANK`/`LOCAL_RANK`).
    requires = (TORCH, SAVES, DISTRIBUTED)

    VALID = [
        Valid(
            """
            import torch
            import torch.distributed as dist
            dist.init_process_group("nccl")
            if dist.get_rank() == 0:
                torch.save(model.state_dict(), "ckpt.pt")
            """
        ),
        Valid(
            """
            import torch
            import torch.distributed as dist

            def save(model, rank):
                if rank != 0:
                    return
                torch.save(model.state_dict(), "ckpt.pt")  # guarded by the early return

            dist.init_process_group("nccl")
            """
        ),
        Valid(
            """
            import torch
            import torch.distributed as dist
            dist.init_process_group("nccl")
            rank = dist.get_rank()
            torch.save(torch.get_rng_state(), f"rng_rank{rank}.pt")  # one file per rank
            """
        ),
        Valid(
            """
            import torch
            import torch.distributed  # imported, never started: not a distributed script
            torch.save(model.state_dict(), "ckpt.pt")
            """
        ),
        Valid(
            """
            import os
            import torch
            from torch.nn.parallel import DistributedDataParallel as DDP
            local_rank = int(os.environ["LOCAL_RANK"])
            model = DDP(Net())
            if local_rank in [-1, 0]:
                torch.save(model.module.state_dict(), "ckpt.pt")
            """
        ),
        Valid(
            """
            import torch
            import torch.distributed as dist

            def get_rank():
                if not dist.is_initialized():
                    return 0
                return dist.get_rank()

            def is_main_process():  # a rank-guard predicate defined in the file
                return get_rank() == 0

            dist.init_process_group("nccl")
            if is_main_process():
                torch.save({"model": model.state_dict()}, "checkpoint.pth")
            """
        ),
        Valid(
            """
            import io
            import torch
            import torch.distributed as dist

            dist.init_process_group("nccl")
            buffer = io.BytesIO()
            torch.save(model.state_dict(), buffer)  # in memory on every rank, then broadcast: no file
            dist.broadcast_object_list([buffer.getvalue()], src=0)
            """
        ),
        Valid(
            """
            import torch
            import torch.distributed as dist

            def is_main_process():
                return dist.get_rank() == 0

            def save_on_master(*args, **kwargs):
                if is_main_process():
                    torch.save(*args, **kwargs)

            def main(model):
                dist.init_process_group("nccl")
                save_on_master(model.state_dict(), "checkpoint.pth")  # the helper guards its save
            """
        ),
        Valid(
            """
            import torch
            from dist_utils import init_distributed_mode, is_main_process

            def main(args, model):
                init_distributed_mode(args)
                if is_main_process():  # a rank-guard predicate of another module
                    torch.save(model.state_dict(), "checkpoint.pth")
            """,
            modules=_DIST_UTILS,
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            import torch.distributed as dist
            dist.init_process_group("nccl")
            # keep the last weights
            torch.save(model.state_dict(), "ckpt.pt")  # every epoch
            """,
            fixed="""
            import torch
            import torch.distributed as dist
            import ckptlint.runtime
            dist.init_process_group("nccl")
            # keep the last weights
            if ckptlint.runtime.is_main_process():
                torch.save(model.state_dict(), "ckpt.pt")  # every epoch
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            import os
            import torch
            from torch.utils.data import DistributedSampler

            def train(model, loader):
                for epoch in range(10):
                    torch.save({"model": model.state_dict(), "epoch": epoch}, "last.pt")

            local_rank = int(os.environ.get("LOCAL_RANK", 0))
            train(model, loader)
            """,
        ),
        Invalid(
            """
            import torch
            import torch.distributed as dist

            def save_checkpoint(*args, **kwargs):  # forwards everything: each call is the save
                torch.save(*args, **kwargs)

            dist.init_process_group("nccl")
            save_checkpoint({"model": model.state_dict()}, "checkpoint.pth")
            """,
            fixed="""
            import torch
            import torch.distributed as dist
            import ckptlint.runtime

            def save_checkpoint(*args, **kwargs):  # forwards everything: each call is the save
                torch.save(*args, **kwargs)

            dist.init_process_group("nccl")
            if ckptlint.runtime.is_main_process():
                save_checkpoint({"model": model.state_dict()}, "checkpoint.pth")
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            import torch
            from dist_utils import init_distributed_mode

            def main(args, model):
                init_distributed_mode(args)  # starts the process group (another module)
                torch.save(model.state_dict(), "checkpoint.pth")
            """,
            fixed="""
            import torch
            from dist_utils import init_distributed_mode
            import ckptlint.runtime

            def main(args, model):
                init_distributed_mode(args)  # starts the process group (another module)
                if ckptlint.runtime.is_main_process():
                    torch.save(model.state_dict(), "checkpoint.pth")
            """,
            applicability=Applicability.UNSAFE,
            modules=_DIST_UTILS,
        ),
    ]

    def applies(self, ctx: Context) -> bool:
        return ctx.model.distributed.is_distributed

    def check_save(self, save: SaveSite, ctx: Context) -> None:
        model = ctx.model
        guards = model.guards
        if guards.save_guard(save) is not None or guards.context_unknown(save.call):
            return
        if guards.save_depends_on_rank(save):
            return
        if model.distributed.writes_collective_state(save):
            return
        ctx.report(save.call, fix=partial(self._fix, ctx, save.call))

    def _fix(self, ctx: Context, call: cst.Call) -> Optional[Fix]:
        model = ctx.model
        statement = builders.own_statement_line(model, call)
        if statement is None:
            return None
        spelling, import_edit = runtime_reference(model, "is_main_process")
        edit = builders.wrap_in_if(model, statement, cst.Call(func=builders.dotted(spelling)))
        return ctx.fix([edit, import_edit], Applicability.UNSAFE)
