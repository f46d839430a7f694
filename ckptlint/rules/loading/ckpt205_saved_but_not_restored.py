"""CKPT205 saved-but-not-restored: the checkpoint holds optimizer/scheduler/scaler/RNG state that the resume ignores."""

from __future__ import annotations

from typing import List

from ckptlint.rules.base import Context, FixAvailability, Invalid, Rule, Valid
from ckptlint.rules.words import LOADS, SAVES, TORCH
from ckptlint.semantic.facts.kinds import Kind
from ckptlint.semantic.facts.resume import LoadSite

_PARTS = {Kind.OPTIMIZER: "optimizer", Kind.SCHEDULER: "scheduler", Kind.SCALER: "scaler"}


class SavedButNotRestored(Rule):
    """
    ## What it does
    Flags the `torch.load` of a resume load (one that restores an optimizer,
    scheduler or scaler, sits under a resume flag such as `if args.resume:` or
    `if os.path.exists(path):`, or whose epoch starts the training loop) that
    reads the same path (the same expression, variable or argument) as a
    save in the same file, when the save writes optimizer, scheduler, scaler
    or RNG state under a key that the load never reads. Silent when the
    loaded object is passed on whole (a helper may restore the rest).

    ## Why is this bad?
    The state was saved so that the run could continue exactly where it
    stopped. A resume that restores the model but not the optimizer restarts
    Adam's moments from zero (a loss spike), one that skips the scheduler
    restarts the learning-rate schedule, and one that skips the RNG state
    replays other random numbers than the interrupted run would have drawn.

    ## Example
    ```python
    import torch

    optimizer = torch.optim.AdamW(model.parameters())
    if args.resume:
        ckpt = torch.load(args.ckpt, map_location="cpu")
        model.load_state_dict(ckpt["model"])
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, args.ckpt)
    ```

    Use instead:
    ```python
    import torch

    optimizer = torch.optim.AdamW(model.parameters())
    if args.resume:
        ckpt = torch.load(args.ckpt, map_location="cpu")
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, args.ckpt)
    ```
    """

    code = "CKPT205"
    name = "saved-but-not-restored"
    message = "Resume load never restores state the checkpoint holds"
    fix_availability = FixAvailability.NEVER
    fix_class = "none"
    requires = (TORCH, LOADS, SAVES)

    VALID = [
        Valid(
            """
            import torch
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
            if args.resume:
                ckpt = torch.load(args.ckpt)
                model.load_state_dict(ckpt["model"])
                optimizer.load_state_dict(ckpt["optimizer"])
            torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, args.ckpt)
            """
        ),
        Valid(
            """
            import torch
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
            if args.pretrained:
                ckpt = torch.load(args.init_checkpoint)  # fine-tuning from other weights: not a resume
                model.load_state_dict(ckpt["model"])
            torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, args.ckpt)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
            scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 30)
            if args.resume:
                ckpt = torch.load(args.ckpt, map_location="cpu")
                model.load_state_dict(ckpt["model"])
                optimizer.load_state_dict(ckpt["optimizer"])
            state = {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "rng": torch.get_rng_state(),
            }
            torch.save(state, args.ckpt)
            """
        ),
    ]

    def check_load(self, load: LoadSite, ctx: Context) -> None:
        model = ctx.model
        resume = model.resume
        path = resume.load_path(load)
        if path is None or load.escapes:
            return
        kinds = model.kinds
        restores_state = any((kind := kinds.of(r.receiver)) is not None and kind.kind in _PARTS for r in load.restores)
        if not resume.is_resume(load, restores_state):
            return
        read = resume.keys_read(load)
        missing: List[str] = []
        for save in model.files.saves_of_path(path):
            checkpoint = model.checkpoints.of(save)
            if checkpoint is None:
                continue
            for entry in checkpoint.entries:
                key = entry.path[0] if len(entry.path) == 1 else None
                if key is None or key in read or key in missing:
                    continue
                part = _PARTS.get(entry.state_of.kind) if entry.state_of is not None else None
                if part is not None or entry.is_rng:
                    missing.append(key)
        if missing:
            listed = ", ".join(f'"{key}"' for key in missing)
            ctx.report(load.call, message=f"{self.message}: {listed}")
