"""CKPT504 unbounded-checkpoints: a new checkpoint file every iteration, and none ever deleted."""

from __future__ import annotations

from ckptlint.rules.base import Context, FixAvailability, Invalid, Rule, Valid
from ckptlint.semantic.facts.loops import for_target_names
from ckptlint.rules.words import SAVES, TORCH


class UnboundedCheckpoints(Rule):
    """
    ## What it does
    Flags a save inside a training `for` loop (an epoch loop, a batch loop, or
    a loop whose body runs `backward()` / an optimizer step) whose file name
    names that loop's variable (`f"ckpt_{epoch}.pt"`, directly or through a
    local variable assigned once), in a module that never deletes files
    (`os.remove`, `os.unlink`, `Path.unlink`, `shutil.rmtree`, a keep-last
    helper or setting such as `keep_last=` / `save_total_limit=`). A save
    under `if step % N == 0` counts. `while` loops and helpers called from a
    loop are not followed.

    ## Why is this bad?
    Every iteration adds a file and none is ever removed: a long run fills
    the disk (or the quota) and dies, usually at the save, often corrupting
    the newest checkpoint on the way.

    ## Example
    ```python
    import torch

    def train(model, epochs):
        for epoch in range(epochs):
            torch.save(model.state_dict(), f"/ckpt/epoch_{epoch}.pt")
    ```

    Use instead:
    ```python
    import ckptlint.runtime

    def train(model, epochs):
        manager = ckptlint.runtime.CheckpointManager("/ckpt", keep_last=3)
        for epoch in range(epochs):
            manager.save(model=model, epoch=epoch)
    ```
    """

    code = "CKPT504"
    name = "unbounded-checkpoints"
    message = (
        "A new checkpoint file every iteration and none is ever deleted: keep the last N "
        "(`ckptlint.runtime.CheckpointManager(keep_last=N)`)"
    )
    fix_availability = FixAvailability.NEVER
    requires = (TORCH, SAVES)

    VALID = [
        Valid(
            """
            import torch
            def train(model, opt, loader, epochs):
                for epoch in range(epochs):
                    for x in loader:
                        model(x).sum().backward()
                        opt.step()
                    torch.save(model.state_dict(), "/ckpt/last.pt")  # one fixed name
            """
        ),
        Valid(
            """
            import os
            import torch
            def train(model, epochs):
                for epoch in range(epochs):
                    torch.save(model.state_dict(), f"/ckpt/epoch_{epoch}.pt")
                    if epoch >= 3:
                        os.remove(f"/ckpt/epoch_{epoch - 3}.pt")  # old ones are deleted
            """
        ),
        Valid(
            """
            import torch
            for name, module in model.named_children():
                torch.save(module.state_dict(), f"/export/{name}.pt")  # not a training loop
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import os
            import torch
            def train(model, opt, loader, args):
                for step, batch in enumerate(loader):
                    model(batch).sum().backward()
                    opt.step()
                    if step % args.save_every == 0:
                        path = os.path.join(args.out, f"step_{step}.pt")
                        torch.save({"model": model.state_dict()}, path)
            """
        ),
    ]

    def check_module(self, ctx: Context) -> None:
        model = ctx.model
        paths = model.paths
        candidates = [v for v in paths.values if v.loop_variables and paths.is_path_expression(v.expr)]
        if not candidates or paths.deletes_files:
            return
        loops = model.loops
        for value in candidates:
            for loop in loops.enclosing(value.save.call):
                if not for_target_names(loop.node) & value.loop_variables:
                    continue
                if loops.is_epoch_loop(loop) or loops.is_batch_loop(loop):
                    ctx.report(value.save.call)
                    break
