"""CKPT302 missing-barrier: rank 0 saves and nothing makes the other ranks wait for the file."""

from __future__ import annotations

from functools import partial
from typing import Optional

import libcst as cst

from ckptlint.fixes import Applicability, Fix, builders
from ckptlint.fixes.imports import runtime_reference
from ckptlint.rules.base import Context, FixAvailability, Invalid, Rule, Valid
from ckptlint.rules.words import DISTRIBUTED, SAVES, STATE_DICT, TORCH
from ckptlint.semantic.facts.saves import SaveSite


class MissingBarrier(Rule):
    """
    ## What it does
    Flags a rank-guarded save of a training checkpoint (a dict holding a
    model's `state_dict()`, or a `state_dict()` itself) in a distributed
    script that the other ranks read back (a load of the same path that runs
    on every rank after the save: later in the function, in a later
    iteration of a loop around both, or in the caller after the call that
    saved) when no barrier follows it in the same function: no
    `dist.barrier()`, `accelerator.wait_for_everyone()`,
    `ckptlint.runtime.barrier()` or other collective (`all_reduce`,
    `broadcast`, ... each one synchronises the ranks), and no call of a
    same-file function that runs one. A collective earlier in an enclosing
    loop's body counts (the next iteration waits for rank 0). With an
    early-return guard, a barrier right after the call of that function in
    its same-file caller counts too. The call of a save helper whose own
    save runs only under a rank guard (`save_on_master`) is a rank-guarded
    save: a barrier after the call, or after the guarded block inside the
    helper, counts. Saves of other tensors (feature dumps,
    evaluation results) are not checked, nor is a save that no rank reads
    back (a periodic save, the final export: DDP keeps the ranks' weights
    identical, and launchers wait for rank 0).

    ## Why is this bad?
    The other ranks run on while rank 0 is still writing. A rank that loads
    the checkpoint next (to evaluate the best model, or to resume after a
    restart) can read a missing or half-written file, and a job whose other
    ranks exit first can be torn down before rank 0's write is durable.

    ## Example
    ```python
    import torch
    import torch.distributed as dist

    dist.init_process_group("nccl")
    if dist.get_rank() == 0:
        torch.save({"model": model.state_dict()}, "ckpt.pt")
    model.load_state_dict(torch.load("ckpt.pt", map_location="cpu")["model"])
    ```

    Use instead:
    ```python
    import torch
    import torch.distributed as dist

    dist.init_process_group("nccl")
    if dist.get_rank() == 0:
        torch.save({"model": model.state_dict()}, "ckpt.pt")
    dist.barrier()
    model.load_state_dict(torch.load("ckpt.pt", map_location="cpu")["model"])
    ```

    ## Fix safety
    The fix adds `ckptlint.runtime.barrier()` (a no-op outside a process
    group) on the line after the guarded `if` block, only where every rank
    reaches that line exactly as often as the save runs: the `if` tests the
    rank and nothing else (`if rank == 0 and step % N == 0:` would put a
    barrier on every step), the save runs whenever its branch does, and the
    conditions around the `if` (and every early exit before it) are the same
    on every rank: loop counters, settings (`args.save_every`), constants.
    A barrier that only the writing rank reaches hangs the job, so there is
    no fix in a block or function guarded by a predicate the model does not
    know (`if self.args.should_save:`, after `if not is_root: return`, in a
    function only called under one), nor in a function this file never
    calls, nor when the guard is an early `return` (the barrier belongs in
    the caller). It is unsafe all the same: the model assumes that loops run
    the same number of times on every rank, as DDP requires.
    """

    code = "CKPT302"
    name = "missing-barrier"
    message = "Rank-guarded save with no barrier after it: other ranks may read a partial file"
    fix_title = "Add `ckptlint.runtime.barrier()` after the guarded block"
    fix_availability = FixAvailability.SOMETIMES
    fix_class = "unsafe"
    requires = (TORCH, SAVES, STATE_DICT, DISTRIBUTED)

    VALID = [
        Valid(
            """
            import torch
            import torch.distributed as dist
            dist.init_process_group("nccl")
            if dist.get_rank() == 0:
                torch.save({"model": model.state_dict()}, "ckpt.pt")
            else:
                print("waiting")
            dist.barrier()  # after the if/else
            """
        ),
        Valid(
            """
            import torch
            import torch.distributed as dist
            dist.init_process_group("nccl")
            if dist.get_rank() == 0:
                torch.save(features, "features.pt")  # not a checkpoint
            """
        ),
        Valid(
            """
            import torch
            import torch.distributed as dist
            dist.init_process_group("nccl")
            for epoch in range(90):
                train_one_epoch()
                if dist.get_rank() == 0:
                    torch.save({"model": model.state_dict()}, "last.pt")  # no rank reads it back
            """
        ),
        Valid(
            """
            import torch
            import torch.distributed as dist

            def save(model):
                if dist.get_rank() != 0:
                    return
                torch.save(model.state_dict(), "ckpt.pt")

            def main(model):
                dist.init_process_group("nccl")
                save(model)
                dist.barrier()  # right after the call, in the caller
            """
        ),
        Valid(
            """
            import torch
            import torch.distributed as dist

            def is_main_process():  # a rank-guard predicate defined in the file
                return dist.get_rank() == 0

            def main(model):
                dist.init_process_group("nccl")
                if is_main_process():
                    torch.save(model.state_dict(), "init.pt")
                dist.barrier()
                model.load_state_dict(torch.load("init.pt", map_location="cpu"))
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
                save_on_master(model.state_dict(), "init.pt")
                dist.barrier()
                model.load_state_dict(torch.load("init.pt", map_location="cpu"))
            """
        ),
        Valid(
            """
            import torch
            import torch.distributed as dist

            def save_on_master(state, path):
                if dist.get_rank() == 0:
                    torch.save(state, path)
                dist.barrier()  # every rank that calls the helper waits here

            def main(model):
                dist.init_process_group("nccl")
                save_on_master(model.state_dict(), "init.pt")
                model.load_state_dict(torch.load("init.pt", map_location="cpu"))
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            import torch.distributed as dist
            dist.init_process_group("nccl")
            if dist.get_rank() == 0:
                # rank 0 writes
                torch.save({"model": model.state_dict()}, "ckpt.pt")
            state = torch.load("ckpt.pt", map_location="cpu")
            """,
            fixed="""
            import torch
            import torch.distributed as dist
            import ckptlint.runtime
            dist.init_process_group("nccl")
            if dist.get_rank() == 0:
                # rank 0 writes
                torch.save({"model": model.state_dict()}, "ckpt.pt")
            ckptlint.runtime.barrier()
            state = torch.load("ckpt.pt", map_location="cpu")
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            import torch
            import torch.distributed as dist

            def save(model):
                if dist.get_rank() != 0:
                    return
                torch.save(model.state_dict(), "ckpt.pt")

            def main(model):
                dist.init_process_group("nccl")
                save(model)
                model.load_state_dict(torch.load("ckpt.pt", map_location="cpu"))
            """,
        ),
        Invalid(
            """
            import torch
            import torch.distributed as dist

            def is_main_process():  # a rank-guard predicate defined in the file
                return dist.get_rank() == 0

            def main(model):
                dist.init_process_group("nccl")
                if is_main_process():
                    torch.save(model.state_dict(), "init.pt")
                model.load_state_dict(torch.load("init.pt", map_location="cpu"))

            if __name__ == "__main__":
                main(build_model())  # every rank runs `main`
            """,
            fixed="""
            import torch
            import torch.distributed as dist
            import ckptlint.runtime

            def is_main_process():  # a rank-guard predicate defined in the file
                return dist.get_rank() == 0

            def main(model):
                dist.init_process_group("nccl")
                if is_main_process():
                    torch.save(model.state_dict(), "init.pt")
                ckptlint.runtime.barrier()
                model.load_state_dict(torch.load("init.pt", map_location="cpu"))

            if __name__ == "__main__":
                main(build_model())  # every rank runs `main`
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
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
                save_on_master(model.state_dict(), "init.pt")  # the helper guards its save
                model.load_state_dict(torch.load("init.pt", map_location="cpu"))
            """,
        ),
    ]

    def applies(self, ctx: Context) -> bool:
        return ctx.model.distributed.is_distributed

    def check_save(self, save: SaveSite, ctx: Context) -> None:
        model = ctx.model
        guards = model.guards
        guard = guards.save_guard(save)
        if guard is None or guard.kind in ("decorator", "caller"):
            return  # the barrier, if any, is the caller's business
        if not model.checkpoints.writes_state_dict(save) or not self._read_by_other_ranks(ctx, save):
            return  # feature dumps and evaluation results; files no other rank reads
        if guard.kind == "helper":  # the helper guards its own save: the barrier goes after the call
            waits_inside = guard.inner in ("if", "else") and guards.barrier_after(guard.statement)
            if not waits_inside and not guards.barrier_after(save.call):
                ctx.report(save.call)  # no fix: only the caller knows where every rank passes
        elif guard.kind == "early_return":
            if not guards.barrier_after(save.call) and not self._caller_waits(ctx, guard.function):
                ctx.report(save.call)
        elif not guards.barrier_after(guard.statement):
            point = guards.barrier_point(save.call)
            if point is None:
                ctx.report(save.call, message=f"{self.message} (no fix: no place is known where every rank "
                           "waits exactly as often as the save runs; add a barrier that every rank reaches "
                           "after the save and before the read)")
            else:
                ctx.report(save.call, fix=partial(self._fix, ctx, point))

    def _read_by_other_ranks(self, ctx: Context, save: SaveSite) -> bool:
        """A load of the same file runs on every rank after the save (catalog revision 2: a save
        that no rank reads back needs no barrier)."""
        files, guards = ctx.model.files, ctx.model.guards
        return any(
            guards.guard_of(load.call) is None and files.reads_back(save, load) for load in files.loads_of(save)
        )

    def _caller_waits(self, ctx: Context, function: Optional[cst.FunctionDef]) -> bool:
        guards = ctx.model.guards
        callers = guards.callers(function) if function is not None else ()
        return bool(callers) and all(guards.barrier_after(call) for call in callers)

    def _fix(self, ctx: Context, statement: cst.CSTNode) -> Optional[Fix]:
        model = ctx.model
        if not isinstance(statement, cst.If) or not isinstance(model.parent(statement), (cst.IndentedBlock, cst.Module)):
            return None
        spelling, import_edit = runtime_reference(model, "barrier")
        edit = builders.insert_statement_after_block(model, statement, builders.call_statement(builders.dotted(spelling)))
        return ctx.fix([edit, import_edit], Applicability.UNSAFE)
