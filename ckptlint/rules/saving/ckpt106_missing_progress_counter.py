"""CKPT106 missing-progress-counter: a resume checkpoint that does not say where training was."""

from __future__ import annotations

from ckptlint.rules.base import Context, FixAvailability, Invalid, Rule, Valid
from ckptlint.rules.words import SAVES, TORCH
from ckptlint.semantic.data import catalog
from ckptlint.semantic.facts.saves import SaveSite


class MissingProgressCounter(Rule):
    """
    ## What it does
    Flags a training checkpoint that holds optimizer state (so it is meant
    for resuming) but has no key containing `epoch`, `step` or `iter`
    (`"epoch"`, `"global_step"`, `"iter_num"`, nested keys included). It is
    silent when the dict spreads an unknown mapping or has a key that is not
    a literal.

    ## Why is this bad?
    A resumed run must know where to start: which epoch, which step of the
    learning-rate schedule, which batch. Without a counter in the file, the
    resume either starts again at epoch 0 (training for longer than planned,
    with the wrong schedule) or depends on a file name or a log to guess.

    ## Example
    ```python
    import torch
    import torch.nn as nn

    model = nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, "last.pt")
    ```

    Use instead:
    ```python
    import torch
    import torch.nn as nn

    model = nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    epoch = 3
    torch.save(
        {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch},
        "last.pt",
    )
    ```
    """

    code = "CKPT106"
    requires = (TORCH, SAVES)
    name = "missing-progress-counter"
    message = "Resume checkpoint without an epoch or step counter"
    fix_availability = FixAvailability.NEVER
    fix_class = "none"

    VALID = [
        Valid(
            """
            import torch
            import torch.nn as nn
            model = nn.Linear(4, 2)
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            ckpt = {"model": model.state_dict(), "optimizer": opt.state_dict()}
            ckpt["meta"] = {"global_step": 10}
            torch.save(ckpt, "a.pt")
            """
        ),
        Valid(
            """
            import torch
            import torch.nn as nn
            model = nn.Linear(4, 2)
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), **progress}, "a.pt")
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            from torch import save, nn, optim
            class Trainer:
                def __init__(self):
                    self.net = nn.Linear(4, 2)
                    self.opt = optim.Adam(self.net.parameters())
                def checkpoint(self):
                    save({"net": self.net.state_dict(), "opt": self.opt.state_dict()}, "last.pt")
            """,
        ),
        Invalid(
            """
            import torch
            from torch import nn

            class Net(nn.Module):
                pass

            def build_model(cfg):  # a factory: all its returns are models
                return Net()

            class Trainer:
                def __init__(self, cfg):
                    self.model = build_model(cfg)
                    self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.1)

                def save(self, path):
                    torch.save({"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict()}, path)
            """,
        ),
        Invalid(
            """
            import torch
            import torchvision.models as models

            def main(args):
                model = models.__dict__[args.arch]()
                optimizer = torch.optim.SGD(model.parameters(), args.lr)
                torch.save({"arch": args.arch, "state_dict": model.state_dict(), "optimizer": optimizer.state_dict()}, "last.pt")
            """,
        ),
    ]

    def check_save(self, save: SaveSite, ctx: Context) -> None:
        checkpoint = ctx.model.checkpoints.of(save)
        if (
            checkpoint is None
            or not checkpoint.is_for_resuming
            or checkpoint.has_unknown_spread
            or any(None in entry.path for entry in checkpoint.entries)
            or any(catalog.PROGRESS_KEY.search(key) for key in checkpoint.keys)
        ):
            return
        ctx.report(save.call)
