"""CKPT503 machine-specific-path: a checkpoint path rooted in someone's home folder."""

from __future__ import annotations

from ckptlint.rules.base import Context, FixAvailability, Invalid, Rule, Valid
from ckptlint.rules.words import SAVES, TORCH


class MachineSpecificPath(Rule):
    """
    ## What it does
    Flags a save whose path, as written at the save call, starts with a home
    or user folder: `/home/`, `/Users/`, `C:\\Users\\` (on every OS) or `~`,
    also inside `os.path.expanduser(...)` and at the start of an
    `os.path.join(...)`, `Path(...)`, `/` or `+` chain.

    ## Why is this bad?
    The path names one person's account on one machine. On a cluster node,
    in a container or on a colleague's laptop the directory does not exist
    (the save fails after hours of training) or, under `~`, it lands on a
    small, often non-shared home file system.

    ## Example
    ```python
    import torch

    torch.save({"epoch": 1}, "/home/alice/runs/last.pt")
    ```

    Use instead:
    ```python
    import os
    import torch

    torch.save({"epoch": 1}, os.path.join(os.environ["CKPT_DIR"], "last.pt"))
    ```
    """

    code = "CKPT503"
    name = "machine-specific-path"
    message = "Checkpoint path starts in a home folder: it exists on one machine only"
    fix_availability = FixAvailability.NEVER
    requires = (TORCH, SAVES)

    VALID = [
        Valid(
            """
            import os
            import torch
            HOME_CKPT = "/home/alice/last.pt"
            torch.save({}, HOME_CKPT)  # through a constant: not a literal at the save
            torch.save({}, os.path.join(os.environ["SCRATCH"], "last.pt"))
            torch.save({}, "/scratch/runs/homework/last.pt")
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import os
            import torch
            from pathlib import Path
            torch.save({}, os.path.expanduser("~/ckpt/last.pt"))
            torch.save({}, os.path.join(os.path.expanduser("~"), "last.pt"))
            torch.save({}, Path("/Users/bob/ckpt") / "last.pt")
            torch.save({}, r"C:\\Users\\bob\\last.pt")
            torch.save({}, f"/home/bob/run_{1}.pt")
            """
        ),
    ]

    def check_module(self, ctx: Context) -> None:
        for value in ctx.model.paths.values:
            if value.home_rooted:
                ctx.report(value.save.call)
