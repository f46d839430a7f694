"""CKPT501 relative-save-path: a checkpoint written to a path relative to the working directory."""

from __future__ import annotations

from ckptlint.rules.base import Context, FixAvailability, Invalid, Rule, Valid
from ckptlint.rules.words import SAVES, TORCH


class RelativeSavePath(Rule):
    """
    ## What it does
    Flags a save whose path is a relative literal written at the save call: a
    string, an f-string that begins with literal text, or an
    `os.path.join(...)`, `Path(...)` or `/` chain whose first part is a
    relative literal. Paths read from variables, constants, defaults or
    settings (an `argparse` default is the user's choice) are not flagged.

    ## Why is this bad?
    A relative path is resolved against the directory the job happens to be
    started from. Launched by a scheduler, from a notebook or from another
    directory, the checkpoint lands somewhere else (or in a directory that
    does not exist), and the resume does not find it.

    ## Example
    ```python
    import torch

    torch.save({"epoch": 1}, "checkpoints/last.pt")
    ```

    Use instead:
    ```python
    import argparse
    import os
    import torch

    parser = argparse.ArgumentParser()
    parser.add_argument("--out-dir", default="checkpoints")
    args = parser.parse_args()
    torch.save({"epoch": 1}, os.path.join(args.out_dir, "last.pt"))
    ```
    """

    code = "CKPT501"
    name = "relative-save-path"
    message = "Checkpoint saved to a relative path: where it lands depends on the working directory"
    fix_availability = FixAvailability.NEVER
    requires = (TORCH, SAVES)

    VALID = [
        Valid(
            """
            import argparse
            import torch
            parser = argparse.ArgumentParser()
            parser.add_argument("--save-path", default="checkpoints/last.pt")
            args = parser.parse_args()
            torch.save({"epoch": 1}, args.save_path)  # a user setting, not a literal at the save
            """
        ),
        Valid(
            """
            import os
            import torch
            from pathlib import Path
            torch.save({}, "/mnt/ckpt/last.pt")
            torch.save({}, os.path.join(os.environ["CKPT_DIR"], "last.pt"))
            torch.save({}, Path.home() / "last.pt")
            torch.save({}, "~/ckpt/last.pt")  # home-rooted: CKPT503's
            CKPT = "last.pt"
            torch.save({}, CKPT)  # through a constant
            torch.save({}, "ckpt_%d.pt" % 3)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import os
            import torch
            from pathlib import Path
            def save(model, epoch):
                torch.save(model.state_dict(), os.path.join("runs", f"epoch_{epoch}.pt"))
                torch.save(model.state_dict(), Path("runs") / "last.pt")
                torch.save(model.state_dict(), f"runs/{epoch}.pt")
            """
        ),
        Invalid(
            """
            import torch as th
            def save_checkpoint(state, filename="checkpoint.pth.tar"):
                th.save(state, filename)
            save_checkpoint({"epoch": 1}, "model_best.pth.tar")  # the helper call is the save
            """
        ),
    ]

    def check_module(self, ctx: Context) -> None:
        for value in ctx.model.paths.values:
            if value.relative:
                ctx.report(value.save.call)
