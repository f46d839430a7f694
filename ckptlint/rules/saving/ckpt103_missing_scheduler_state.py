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
            import torch.nn as nn
            from torch import save
            from torch.optim.lr_scheduler import CosineAnnealingLR as Cosine
            model = nn.Linear(4, 2)
            sched = Cosine(opt, T_max=100)
            save(
                {
                    "model": model.state_dict(),
                    "epoch": 3,
                },
                "last.pt",
            )
            """,
            fixed="""
            import torch.nn as nn
            from torch import save
            from torch.optim.lr_scheduler import CosineAnnealingLR as Cosine
            model = nn.Linear(4, 2)
            sched = Cosine(opt, T_max=100)
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
            fixed="""
            import torch
            import torch.nn as nn
            from transformers import get_cosine_schedule_with_warmup
            def train(model: nn.Module):
                model = nn.Linear(4, 2)
                opt = torch.optim.AdamW(model.parameters())
                lr_sched = get_cosine_schedule_with_warmup(opt, 100, 1000)
                torch.save(dict(model=model.state_dict(), optimizer=opt.state_dict(), scheduler=lr_sched.state_dict()), "last.pt")
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
            fixed="""
            import torch
            from torch import nn
            from torch.optim.lr_scheduler import CosineAnnealingLR

            def train(model, optimizer, scheduler, loader, epoch):  # unannotated: the kinds every call passes
                for x in loader:
                    optimizer.step()
                    scheduler.step()
                torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch, "scheduler": scheduler.state_dict()}, "last.pt")

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
