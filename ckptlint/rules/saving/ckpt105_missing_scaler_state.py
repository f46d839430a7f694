"""CKPT105 missing-scaler-state: a training checkpoint without the AMP GradScaler's state."""

from __future__ import annotations

from ckptlint.rules.base import Context, FixAvailability, Invalid, Rule, Valid
from ckptlint.rules.saving._missing_state import report_missing_state
from ckptlint.rules.words import SAVES, TORCH
from ckptlint.semantic.facts.kinds import Kind
from ckptlint.semantic.facts.saves import SaveSite


class MissingScalerState(Rule):
    """
    ## What it does
    Flags a training checkpoint (a dict holding a model's `state_dict()`)
    saved where a `GradScaler` (`torch.cuda.amp` or `torch.amp`) is in scope
    when the checkpoint does not hold that scaler's `state_dict()`. The
    silences of CKPT102 apply.

    ## Why is this bad?
    The scaler's loss scale has been tuned by every overflow so far. A
    resumed mixed-precision run that starts again from the default scale
    (65536) skips steps on overflow until it has found it again, and its
    updates differ from the interrupted run's.

    ## Example
    ```python
    import torch
    import torch.nn as nn

    model = nn.Linear(4, 2)
    scaler = torch.cuda.amp.GradScaler()
    torch.save({"model": model.state_dict()}, "last.pt")
    ```

    Use instead:
    ```python
    import torch
    import torch.nn as nn

    model = nn.Linear(4, 2)
    scaler = torch.cuda.amp.GradScaler()
    torch.save({"model": model.state_dict(), "scaler": scaler.state_dict()}, "last.pt")
    ```

    ## Fix safety
    Safe: the fix adds `"scaler": scaler.state_dict()` to the checkpoint and
    restores it where the program resumes from that file, after the
    resume's other restores: `if "scaler" in ckpt: scaler.load_state_dict(ckpt["scaler"])`
    (the test keeps checkpoints written before the fix loadable). The
    resume loads of the file are the loads of the same path, and loads of
    a path the user chooses (`torch.load(args.resume)`) that read only keys
    this checkpoint writes. Where no such load is visible in the module, or
    the scaler does not exist there, the entry would be restored by nothing:
    there is no fix, and the message says what to add on both sides.
    """

    code = "CKPT105"
    requires = (TORCH, SAVES)
    name = "missing-scaler-state"
    message = "Training checkpoint without the `GradScaler`'s `state_dict()`"
    fix_title = "Add the scaler's `state_dict()` to the checkpoint"
    fix_availability = FixAvailability.SOMETIMES
    fix_class = "safe"

    VALID = [
        Valid(
            """
            import torch
            import torch.nn as nn
            model = nn.Linear(4, 2)
            scaler = torch.amp.GradScaler("cuda")
            ckpt = {"model": model.state_dict()}
            if scaler.is_enabled():
                ckpt["amp"] = scaler.state_dict()
            torch.save(ckpt, "last.pt")
            """
        ),
        Valid(
            """
            import torch
            from torch import nn
            def save(model: nn.Module, scaler, path):
                torch.save({"model": model.state_dict()}, path)  # unannotated parameter
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch as th
            from torch.cuda.amp import GradScaler
            import torch.nn as nn
            class AmpTrainer:
                def __init__(self):
                    self.model = nn.Linear(4, 2)
                    self.scaler = GradScaler()
                def save(self, path):
                    ckpt = {"model": self.model.state_dict()}
                    th.save(ckpt, path)
            """,
        ),
        Invalid(
            """
            import torch
            from torch import nn

            def build_model(cfg):  # a factory: all its returns are models
                return nn.Linear(cfg.dim, 2)

            class Trainer:
                def __init__(self, cfg):
                    self.model = build_model(cfg)
                    self.optimizer = torch.optim.AdamW(self.model.parameters())
                    self.scaler = torch.amp.GradScaler("cuda")

                def save(self, path, epoch):
                    state = {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(), "epoch": epoch}
                    torch.save(state, path)

                def resume(self, path):
                    state = torch.load(path, map_location="cpu")
                    self.model.load_state_dict(state["model"])
                    self.optimizer.load_state_dict(state["optimizer"])
                    return state["epoch"] + 1
            """,
            fixed="""
            import torch
            from torch import nn

            def build_model(cfg):  # a factory: all its returns are models
                return nn.Linear(cfg.dim, 2)

            class Trainer:
                def __init__(self, cfg):
                    self.model = build_model(cfg)
                    self.optimizer = torch.optim.AdamW(self.model.parameters())
                    self.scaler = torch.amp.GradScaler("cuda")

                def save(self, path, epoch):
                    state = {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(), "epoch": epoch, "scaler": self.scaler.state_dict()}
                    torch.save(state, path)

                def resume(self, path):
                    state = torch.load(path, map_location="cpu")
                    self.model.load_state_dict(state["model"])
                    self.optimizer.load_state_dict(state["optimizer"])
                    if "scaler" in state:
                        self.scaler.load_state_dict(state["scaler"])
                    return state["epoch"] + 1
            """,
        ),
        Invalid(
            """
            import torch
            from torch import nn

            def train(model, optimizer, scaler, loader, epoch):  # unannotated: the kinds every call passes
                for x in loader:
                    scaler.scale(model(x).sum()).backward()
                    scaler.step(optimizer)
                    scaler.update()
                torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, "last.pt")

            model = nn.Linear(4, 2)
            optimizer = torch.optim.AdamW(model.parameters())
            scaler = torch.cuda.amp.GradScaler()
            for epoch in range(10):
                train(model, optimizer, scaler, loader, epoch)
            """,
        ),
    ]

    def check_save(self, save: SaveSite, ctx: Context) -> None:
        report_missing_state(save, ctx, Kind.SCALER, "scaler")
