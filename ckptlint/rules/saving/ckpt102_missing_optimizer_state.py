"""CKPT102 missing-optimizer-state: a training checkpoint without the optimizer's state."""

from __future__ import annotations

from ckptlint.rules.base import Context, FixAvailability, Invalid, Rule, Valid
from ckptlint.rules.saving._missing_state import report_missing_state
from ckptlint.rules.words import SAVES, TORCH
from ckptlint.semantic.facts.kinds import Kind
from ckptlint.semantic.facts.saves import SaveSite


class MissingOptimizerState(Rule):
    """
    ## What it does
    Flags a training checkpoint (a dict holding a model's `state_dict()`)
    saved where an optimizer is in scope (a local, a global, a `self.x` of
    the class, or a parameter) when no value of the checkpoint is that
    optimizer's `state_dict()`. An object is an optimizer when it is built as
    one, used as one (a scheduler's first argument), or, for a parameter,
    annotated as one or passed one at every call. It stays silent when the
    same function or class also saves another checkpoint that holds it (a
    weights-only "best" file next to a full resume checkpoint), and when the
    dict spreads an unknown mapping (`**extra`).

    ## Why is this bad?
    Momentum buffers and Adam's moment estimates are part of the training
    state. A run resumed from weights alone restarts the optimizer from
    zero: the loss spikes, and the resumed run is not the run that was
    interrupted.

    ## Example
    ```python
    import torch
    import torch.nn as nn

    model = nn.Linear(4, 2)
    optimizer = torch.optim.AdamW(model.parameters())
    torch.save({"model": model.state_dict(), "epoch": 3}, "last.pt")
    ```

    Use instead:
    ```python
    import torch
    import torch.nn as nn

    model = nn.Linear(4, 2)
    optimizer = torch.optim.AdamW(model.parameters())
    torch.save(
        {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3},
        "last.pt",
    )
    ```

    ## Fix safety
    Safe: the fix adds `"optimizer": optimizer.state_dict()` to the checkpoint and
    restores it where the program resumes from that file, after the
    resume's other restores: `if "optimizer" in ckpt: optimizer.load_state_dict(ckpt["optimizer"])`
    (the test keeps checkpoints written before the fix loadable). The
    resume loads of the file are the loads of the same path, and loads of
    a path the user chooses (`torch.load(args.resume)`) that read only keys
    this checkpoint writes. Where no such load is visible in the module, or
    the optimizer does not exist there, the entry would be restored by nothing:
    there is no fix, and the message says what to add on both sides.
    """

    code = "CKPT102"
    requires = (TORCH, SAVES)
    name = "missing-optimizer-state"
    message = "Training checkpoint without the optimizer's `state_dict()`"
    fix_title = "Add the optimizer's `state_dict()` to the checkpoint"
    fix_availability = FixAvailability.SOMETIMES
    fix_class = "safe"

    VALID = [
        Valid(
            """
            import torch
            import torch.nn as nn
            def export(path):
                model = nn.Linear(4, 2)
                torch.save({"model": model.state_dict()}, path)  # no optimizer in scope
            """
        ),
        Valid(
            """
            import torch
            from torch import nn
            def save(model: nn.Module, optimizer, path):
                torch.save({"model": model.state_dict()}, path)  # unannotated parameter
            """
        ),
        Valid(
            """
            import torch
            import torch.nn as nn
            model = nn.Linear(4, 2)
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
            def checkpoint(best):
                torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, "last.pt")
                if best:
                    torch.save({"model": model.state_dict()}, "best.pt")
            """
        ),
        Valid(
            """
            import torch
            from lightning.fabric import Fabric
            from torch import nn

            fabric = Fabric()
            model = nn.Linear(4, 2)
            optimizer = torch.optim.AdamW(model.parameters())
            model, optimizer = fabric.setup(model, optimizer)
            fabric.save("last.ckpt", {"model": model, "optimizer": optimizer, "step": 10})  # Fabric saves their state dicts
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import os
            import torch as th
            import torch.nn as nn
            model = nn.Linear(4, 2)
            opt = th.optim.AdamW(model.parameters())
            if os.path.exists("last.pt"):
                ckpt = th.load("last.pt", map_location="cpu")
                model.load_state_dict(ckpt["model"])
            th.save({"model": model.state_dict(), "epoch": 3}, "last.pt")
            """,
            fixed="""
            import os
            import torch as th
            import torch.nn as nn
            model = nn.Linear(4, 2)
            opt = th.optim.AdamW(model.parameters())
            if os.path.exists("last.pt"):
                ckpt = th.load("last.pt", map_location="cpu")
                model.load_state_dict(ckpt["model"])
                if "optimizer" in ckpt:
                    opt.load_state_dict(ckpt["optimizer"])
            th.save({"model": model.state_dict(), "epoch": 3, "optimizer": opt.state_dict()}, "last.pt")
            """,
        ),
        Invalid(
            """
            from torch import load, save, optim, nn
            class Trainer:
                def __init__(self):
                    self.model = nn.Linear(4, 2)
                    self.optimizer = optim.SGD(self.model.parameters(), lr=0.1)
                def save(self, path, epoch):
                    ckpt = {}
                    ckpt["model"] = self.model.state_dict()
                    ckpt["epoch"] = epoch
                    save(ckpt, path)
                def resume(self, path):
                    ckpt = load(path, map_location="cpu")
                    self.model.load_state_dict(ckpt["model"])
                    self.start_epoch = ckpt["epoch"] + 1
                def fit(self, epochs):
                    for epoch in range(self.start_epoch, epochs):
                        self.save("last.pt", epoch)
            """,
            fixed="""
            from torch import load, save, optim, nn
            class Trainer:
                def __init__(self):
                    self.model = nn.Linear(4, 2)
                    self.optimizer = optim.SGD(self.model.parameters(), lr=0.1)
                def save(self, path, epoch):
                    ckpt = {}
                    ckpt["model"] = self.model.state_dict()
                    ckpt["epoch"] = epoch
                    ckpt["optimizer"] = self.optimizer.state_dict()
                    save(ckpt, path)
                def resume(self, path):
                    ckpt = load(path, map_location="cpu")
                    self.model.load_state_dict(ckpt["model"])
                    self.start_epoch = ckpt["epoch"] + 1
                    if "optimizer" in ckpt:
                        self.optimizer.load_state_dict(ckpt["optimizer"])
                def fit(self, epochs):
                    for epoch in range(self.start_epoch, epochs):
                        self.save("last.pt", epoch)
            """,
        ),
        Invalid(
            """
            import torch
            import torchvision.models as models

            def main(args):
                model = models.__dict__[args.arch]()
                optimizer = torch.optim.SGD(model.parameters(), args.lr, momentum=0.9)
                for epoch in range(args.epochs):
                    train(model, optimizer, epoch)
                    # no load resumes from it here: no fix (an entry nothing restores changes nothing)
                    torch.save({"state_dict": model.state_dict(), "epoch": epoch + 1}, "checkpoint.pth.tar")
            """,
        ),
        Invalid(
            """
            import torch
            from torch import nn

            def train(model, optimizer, loader, epoch):  # unannotated: the kinds every call passes
                for x, y in loader:
                    optimizer.zero_grad()
                    model(x).sum().backward()
                    optimizer.step()
                torch.save({"model": model.state_dict(), "epoch": epoch}, "last.pt")

            model = nn.Linear(4, 2)
            optimizer = torch.optim.AdamW(model.parameters())
            start = 0
            if args.resume:
                ckpt = torch.load(args.resume, map_location="cpu")  # a path the user gives: read by its keys
                model.load_state_dict(ckpt["model"])
                start = ckpt["epoch"] + 1
            for epoch in range(start, 10):
                train(model, optimizer, loader, epoch)
            """,
            fixed="""
            import torch
            from torch import nn

            def train(model, optimizer, loader, epoch):  # unannotated: the kinds every call passes
                for x, y in loader:
                    optimizer.zero_grad()
                    model(x).sum().backward()
                    optimizer.step()
                torch.save({"model": model.state_dict(), "epoch": epoch, "optimizer": optimizer.state_dict()}, "last.pt")

            model = nn.Linear(4, 2)
            optimizer = torch.optim.AdamW(model.parameters())
            start = 0
            if args.resume:
                ckpt = torch.load(args.resume, map_location="cpu")  # a path the user gives: read by its keys
                model.load_state_dict(ckpt["model"])
                start = ckpt["epoch"] + 1
                if "optimizer" in ckpt:
                    optimizer.load_state_dict(ckpt["optimizer"])
            for epoch in range(start, 10):
                train(model, optimizer, loader, epoch)
            """,
        ),
        Invalid(
            """
            import torch
            from torch import nn
            from torch.optim.lr_scheduler import StepLR

            class Trainer:
                def __init__(self, cfg):
                    self.model = nn.Linear(4, 2)
                    self.optimizer = build_optimizer(cfg, self.model)  # unknown, but the scheduler's optimizer
                    self.scheduler = StepLR(self.optimizer, step_size=10)

                def save(self, path):
                    torch.save({"model": self.model.state_dict(), "scheduler": self.scheduler.state_dict()}, path)
            """,
        ),
        Invalid(
            """
            import torch
            from torch import nn
            from torch.optim.lr_scheduler import StepLR

            def main(cfg):
                model = nn.Linear(4, 2)
                optimizer = build_optimizer(cfg, model)  # unknown, but the scheduler's optimizer
                scheduler = StepLR(optimizer, step_size=10)
                torch.save({"model": model.state_dict(), "scheduler": scheduler.state_dict()}, "last.pt")
            """,  # no fix: no load in this file resumes from it (the entry would never be restored)
        ),
        Invalid(
            """
            from accelerate import Accelerator
            import torch
            from torch import nn

            accelerator = Accelerator()
            model = nn.Linear(4, 2)
            optimizer = torch.optim.AdamW(model.parameters())
            model, optimizer = accelerator.prepare(model, optimizer)
            accelerator.save({"model": accelerator.unwrap_model(model).state_dict()}, "last.pt")
            """,
        ),
        Invalid(
            """
            import torch
            from lightning.fabric import Fabric
            from torch import nn

            fabric = Fabric()
            model = nn.Linear(4, 2)
            optimizer = torch.optim.AdamW(model.parameters())
            model, optimizer = fabric.setup(model, optimizer)
            fabric.save("last.ckpt", {"model": model, "step": 10})
            """,
        ),
        Invalid(
            """
            import torch
            import torch.distributed as dist
            from torch import nn

            def save_on_master(*args, **kwargs):  # forwards everything: each call is the save
                if dist.get_rank() == 0:
                    torch.save(*args, **kwargs)

            model = nn.Linear(4, 2)
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
            save_on_master({"model": model.state_dict(), "epoch": 1}, "last.pt")
            """,
        ),
    ]

    def check_save(self, save: SaveSite, ctx: Context) -> None:
        report_missing_state(save, ctx, Kind.OPTIMIZER, "optimizer")
