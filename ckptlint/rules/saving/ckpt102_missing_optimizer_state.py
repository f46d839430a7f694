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
    the class, or a parameter annotated as an optimizer) when no value of the
    checkpoint is that optimizer's `state_dict()`. It stays silent when the
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
    ]
    INVALID = [
        Invalid(
            """
            import torch as th
            import torch.nn as nn
            model = nn.Linear(4, 2)
            opt = th.optim.AdamW(model.parameters())
            th.save({"model": model.state_dict(), "epoch": 3}, "last.pt")
            """,
            fixed="""
            import torch as th
            import torch.nn as nn
            model = nn.Linear(4, 2)
            opt = th.optim.AdamW(model.parameters())
            th.save({"model": model.state_dict(), "epoch": 3, "optimizer": opt.state_dict()}, "last.pt")
            """,
        ),
        Invalid(
            """
            from torch import save, optim, nn
            class Trainer:
                def __init__(self):
                    self.model = nn.Linear(4, 2)
                    self.optimizer = optim.SGD(self.model.parameters(), lr=0.1)
                def save(self, path, epoch):
                    ckpt = {}
                    ckpt["model"] = self.model.state_dict()
                    ckpt["epoch"] = epoch
                    save(ckpt, path)
            """,
            fixed="""
            from torch import save, optim, nn
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
            """,
        ),
    ]

    def check_save(self, save: SaveSite, ctx: Context) -> None:
        report_missing_state(save, ctx, Kind.OPTIMIZER, "optimizer")
