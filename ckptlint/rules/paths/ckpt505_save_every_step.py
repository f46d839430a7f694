"""CKPT505 save-every-step: a checkpoint written on every optimizer step."""

from __future__ import annotations

from ckptlint.rules.base import Context, FixAvailability, Invalid, Rule, Valid
from ckptlint.rules.words import SAVES, TORCH
from ckptlint.semantic.facts.saves import SaveSite


class SaveEveryStep(Rule):
    """
    ## What it does
    Flags a save that runs on every iteration of the innermost `for` loop
    whose body runs the optimizer step (or `backward()`): directly in that
    body or under `with` / `try` only, with no `if` around it and no earlier
    `continue` / `break` / `return` / `raise` in the loop body. Opt-in.

    ## Why is this bad?
    Serialising the model (and optimizer) on every batch multiplies the
    step time, wears the storage, and, unless the file name changes, leaves
    a window on every step in which a crash truncates the only checkpoint.

    ## Example
    ```python
    import torch

    def train(model, optimizer, loader):
        for batch in loader:
            model(batch).sum().backward()
            optimizer.step()
            torch.save(model.state_dict(), "/ckpt/last.pt")
    ```

    Use instead:
    ```python
    import torch

    def train(model, optimizer, loader, save_every=1000):
        for step, batch in enumerate(loader):
            model(batch).sum().backward()
            optimizer.step()
            if step % save_every == 0:
                torch.save(model.state_dict(), "/ckpt/last.pt")
    ```
    """

    code = "CKPT505"
    name = "save-every-step"
    message = "Checkpoint saved on every training step: save every N steps instead"
    fix_availability = FixAvailability.NEVER
    opt_in = True
    requires = (TORCH, SAVES)

    VALID = [
        Valid(
            """
            import torch
            def train(model, optimizer, loader, epochs):
                for epoch in range(epochs):
                    for batch in loader:
                        model(batch).sum().backward()
                        optimizer.step()
                    torch.save(model.state_dict(), "/ckpt/last.pt")  # once per epoch
            """
        ),
        Valid(
            """
            import torch
            def train(model, optimizer, loader):
                for step, batch in enumerate(loader):
                    model(batch).sum().backward()
                    optimizer.step()
                    if step % 100:
                        continue
                    torch.save(model.state_dict(), "/ckpt/last.pt")
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            def train(model, optimizer, loader):
                for batch in loader:
                    loss = model(batch).sum()
                    loss.backward()
                    optimizer.step()
                    with open("/ckpt/last.pt", "wb") as f:
                        torch.save(model.state_dict(), f)
            """
        ),
    ]

    def check_save(self, save: SaveSite, ctx: Context) -> None:
        loops = ctx.model.loops
        loop = loops.innermost_step_loop(save.call)
        if loop is None or any(inner.runs_step for inner in loops.descendants(loop)):
            return  # the step runs in a nested loop: this one is an epoch loop, not the batch loop
        if loops.runs_every_iteration(save.call, loop.node):
            ctx.report(save.call)
