"""CKPT502 save-dir-not-created: a checkpoint saved into a directory nothing creates."""

from __future__ import annotations

from functools import partial
from typing import Optional

from ckptlint.fixes import Applicability, builders
from ckptlint.fixes.imports import reference_or_import
from ckptlint.fixes.model import Fix
from ckptlint.rules.base import Context, FixAvailability, Invalid, Rule, Valid
from ckptlint.semantic.facts.paths import PathValue
from ckptlint.rules.words import SAVES, TORCH


class SaveDirNotCreated(Rule):
    """
    ## What it does
    Flags a save whose path starts with a relative literal directory
    (`"checkpoints/last.pt"`, `os.path.join("runs", name)`,
    `Path("ckpt") / "last.pt"`, `f"runs/{epoch}.pt"`, directly or through a
    local variable assigned once) in a module that never creates a directory
    (`os.makedirs`, `os.mkdir`, `Path.mkdir` or a helper named for it, or a
    TensorBoard `SummaryWriter`, which makes its log directory; anywhere). A path whose directory part the model cannot see (a bare
    variable, an `argparse` value, `os.path.join(args.out, ...)`) is not
    flagged.

    ## Why is this bad?
    `torch.save` does not create directories: on a fresh machine or a new run
    directory, the first save raises `FileNotFoundError`, usually after the
    first epoch of training has already been paid for.

    ## Example
    ```python
    import torch

    torch.save({"epoch": 1}, "checkpoints/last.pt")
    ```

    Use instead:
    ```python
    import os
    import torch

    os.makedirs("checkpoints", exist_ok=True)
    torch.save({"epoch": 1}, "checkpoints/last.pt")
    ```

    ## Fix safety
    Safe: the fix inserts `os.makedirs(os.path.dirname(path), exist_ok=True)`
    on the line before the save (importing `os` once if needed). It creates
    the directory the save was about to write into, and does nothing when it
    exists. It is offered when the path is written on one line and the save is
    a statement of a block (not inside a lambda, a comprehension or a one-line
    `if`).
    """

    code = "CKPT502"
    name = "save-dir-not-created"
    message = "The checkpoint's directory is never created: the save fails on a fresh machine"
    fix_title = "Create the directory with `os.makedirs(..., exist_ok=True)` before the save"
    fix_availability = FixAvailability.SOMETIMES
    fix_class = "safe"
    requires = (TORCH, SAVES)

    VALID = [
        Valid(
            """
            import os
            import torch
            def main(args):
                os.makedirs(args.out, exist_ok=True)
                torch.save({}, "checkpoints/last.pt")  # the module creates directories
            """
        ),
        Valid(
            """
            import argparse
            import os
            import torch
            parser = argparse.ArgumentParser()
            parser.add_argument("--out", default="checkpoints/last.pt")
            args = parser.parse_args()
            torch.save({}, args.out)  # no visible directory part
            torch.save({}, os.path.join(args.out, "last.pt"))
            torch.save({}, "last.pt")
            torch.save({}, "./last.pt")
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            for epoch in range(3):
                path = f"runs/ckpt_{epoch}.pt"
                torch.save({"epoch": epoch}, path)
            """,
            fixed="""
            import torch
            import os
            for epoch in range(3):
                path = f"runs/ckpt_{epoch}.pt"
                os.makedirs(os.path.dirname(path), exist_ok=True)
                torch.save({"epoch": epoch}, path)
            """,
        ),
        Invalid(
            """
            import os.path as osp
            from pathlib import Path
            import torch
            torch.save({}, osp.join("checkpoints", "last.pt"))
            torch.save({}, Path("ckpt") / "best.pt")
            """,
        ),
    ]

    def check_module(self, ctx: Context) -> None:
        model = ctx.model
        paths = model.paths
        if paths.creates_directories:
            return
        for value in paths.values:
            save = value.save
            if value.new_directory and paths.is_path_expression(value.expr) and not save.atomic:
                ctx.report(save.call, fix=partial(self._fix, ctx, value))

    def _fix(self, ctx: Context, value: PathValue) -> Optional[Fix]:
        model, save, path = ctx.model, value.save, value.expr
        if path is None or not model.paths.single_line(path) or not model.tree.contains(save.call, path):
            return None
        statement = model.paths.statement_before_which_to_insert(save.call)
        if statement is None:
            return None
        makedirs, import_edit = reference_or_import(model, "os", "makedirs")
        if "." in makedirs:
            dirname, dirname_import = makedirs.rsplit(".", 1)[0] + ".path.dirname", None
        else:
            dirname, dirname_import = reference_or_import(model, "os.path", "dirname")
        edit = builders.insert_statement_before(model, statement, builders.makedirs_statement(makedirs, dirname, path))
        return ctx.fix([edit, import_edit, dirname_import], Applicability.SAFE)
