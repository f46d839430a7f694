"""CKPT103 missing-scheduler-state: a training checkpoint without the LR scheduler's state."""

from __future__ import annotations

from ckptlint.rules.base import Context, FixAvailability, Invalid, Rule, Valid
from ckptlint.rules.saving._missing_state import report_missing_state
from ckptlint.rules.words import SAVES, TORCH
from ckptlint.semantic.facts.kinds import Kind
from ckptlint.semantic.facts.saves import SaveSite


class MissingSchedulerState(Rule):
    """
    ## What it does
    Flags a training checkpoint (a dict holding a model's `state_dict()`)
    saved where a learning-rate scheduler is in scope
    (`torch.optim.lr_scheduler.*`, or a `get_*_schedule*` factory such as
    `transformers.get_cosine_schedule_with_warmup`) when the checkpoint does
    not hold that scheduler's state under any key. The silences of CKPT102
    apply (another checkpoint of the same function or class holds it, an
    unknown `**spread`, an unannotated parameter).

    ## Why is this bad?
    The scheduler counts the steps it has taken. Resumed without its state,
    a warmup runs again from the start and a cosine schedule restarts at the
    peak learning rate, in the middle of training.

    ## Example
    ```python
    import torch
    import torch.nn as nn

    model = nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10)
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, "last.pt")
    ```

    Use instead:
    ```python
    import torch
    import torch.nn as nn

    model = nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10)
    torch.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
        },
        "last.pt",
    )
    ```

    ## Fix safety
    Safe: the fix adds `"scheduler": scheduler.state_dict()` to the checkpoint and
    restores it where the program resumes from that file, after the
    resume's other restores: `if "scheduler" in ckpt: scheduler.load_state_dict(ckpt["scheduler"])`
    (the test keeps checkpoints written before the fix loadable). The
    resume loads of the file are the loads of the same path, and loads of
    a path the user chooses (`torch.load(args.resume)`) that read only keys
    this checkpoint writes. Where no such load is visible in the module, or
    the scheduler does not exist there, the entry would be restored by nothing:
    there is no fix, and the message says what to add on both sides.
    """

    code = "CKPT103"
    requires = (TORCH, SAVES)
    name = "missing-scheduler-state"
    message = "Training checkpoint without the LR scheduler's `state_dict()`"
    fix_title = "Add the scheduler's `state_dict()` to the checkpoint"
    fix_availability = FixAvailability.SOMETIMES
    fix_class = "safe"

    VALID = [
        Valid(
            """
            import torch
            import torch.nn as nn
            from transformers import get_cosine_schedule_with_warmup
            model = nn.Linear(4, 2)
            opt = torch.optim.AdamW(model.parameters())
            sched = get_cosine_schedule_with_warmup(opt, 100, 1000)
            torch.save({"model": model.state_dict(), "lr_state": sched.state_dict()}, "last.pt")
            """
        ),
        Valid(
            """
            import torch
            import torch.nn as nn
            model = nn.Linear(4, 2)
            def save(extra):
                sched = torch.optim.lr_scheduler.StepLR(opt, 10)
                torch.save({"model": model.state_dict(), **extra}, "last.pt")  # unknown spread
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import os
            import torch.nn as nn
            from torch import load, save
            from torch.optim.lr_scheduler import CosineAnnealingLR as Cosine
            model = nn.Linear(4, 2)
            sched = Cosine(opt, T_max=100)
            if os.path.exists("last.pt"):
                state = load("last.pt", map_location="cpu")
                model.load_state_dict(state["model"])
            save(
                {
                    "model": model.state_dict(),
                    "epoch": 3,
                },
                "last.pt",
            )
            """,
            fixed="""
            import os
            import torch.nn as nn
            from torch import load, save
            from torch.optim.lr_scheduler import CosineAnnealingLR as Cosine
            model = nn.Linear(4, 2)
            sched = Cosine(opt, T_max=100)
            if os.path.exists("last.pt"):
                state = load("last.pt", map_location="cpu")
                model.load_state_dict(state["model"])
                if "scheduler" in state:
                    sched.load_state_dict(state["scheduler"])
            save(
                {
                    "model": model.state_dict(),
                    "epoch": 3,
                    "scheduler": sched.state_dict(),
                },
                "last.pt",
            )
            """,
        ),
        Invalid(
            """
            import torch
            import torch.nn as nn
            from transformers import get_cosine_schedule_with_warmup
            def train(model: nn.Module):
                model = nn.Linear(4, 2)
                opt = torch.optim.AdamW(model.parameters())
                lr_sched = get_cosine_schedule_with_warmup(opt, 100, 1000)
                torch.save(dict(model=model.state_dict(), optimizer=opt.state_dict()), "last.pt")
            """,
        ),
        Invalid(
            """
            import torch
            from torch import nn

            class Trainer:
                def __init__(self, cfg):
                    self.model = nn.Linear(4, 2)
                    self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=cfg.lr)
                    self.scheduler = torch.optim.lr_scheduler.OneCycleLR(self.optimizer, max_lr=cfg.lr, total_steps=cfg.steps)

                def save(self, path):
                    torch.save({"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict()}, path)

                def resume(self, path):
                    state = torch.load(path, map_location="cpu")
                    self.model.load_state_dict(state["model"])
                    self.optimizer.load_state_dict(state["optimizer"])
            """,
            fixed="""
            import torch
            from torch import nn

            class Trainer:
                def __init__(self, cfg):
                    self.model = nn.Linear(4, 2)
                    self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=cfg.lr)
                    self.scheduler = torch.optim.lr_scheduler.OneCycleLR(self.optimizer, max_lr=cfg.lr, total_steps=cfg.steps)

                def save(self, path):
                    torch.save({"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict()}, path)

                def resume(self, path):
                    state = torch.load(path, map_location="cpu")
                    self.model.load_state_dict(state["model"])
                    self.optimizer.load_state_dict(state["optimizer"])
                    if "scheduler" in state:
                        self.scheduler.load_state_dict(state["scheduler"])
            """,
        ),
        Invalid(
            """
            import torch
            from torch import nn
            from torch.optim.lr_scheduler import CosineAnnealingLR

            def train(model, optimizer, scheduler, loader, epoch):  # unannotated: the kinds every call passes
                for x in loader:
                    optimizer.step()
                    scheduler.step()
                torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch}, "last.pt")

            model = nn.Linear(4, 2)
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
            scheduler = CosineAnnealingLR(optimizer, T_max=90)
            for epoch in range(90):
                train(model, optimizer, scheduler, loader, epoch)
            """,
        ),
    ]

    def check_save(self, save: SaveSite, ctx: Context) -> None:
        report_missing_state(save, ctx, Kind.SCHEDULER, "scheduler")
