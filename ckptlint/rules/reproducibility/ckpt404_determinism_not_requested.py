"""CKPT404 determinism-not-requested: a seeded run that never asks torch for deterministic kernels."""

from __future__ import annotations

from ckptlint.rules.base import Context, FixAvailability, Invalid, Rule, Valid
from ckptlint.rules.words import SEEDS, TORCH


class DeterminismNotRequested(Rule):
    """
    ## What it does
    Flags a file that seeds and trains (runs `backward()` or an optimizer
    step) but never sets `cudnn.deterministic = True`, never calls
    `torch.use_deterministic_algorithms(True)` (with `warn_only=True` too)
    and never calls `ckptlint.runtime.seed_everything(..., deterministic=True)`.
    A setting counts wherever it is, under a flag too. Dataset, model and
    inference modules that seed are not flagged: the training script decides.
    The finding is reported at the first seeding call in source order (inside
    a same-file seeding helper if that comes first), or at the call of another
    module's seeding helper when the file seeds only through one. Opt-in.

    ## Why is this bad?
    A seed fixes the random numbers, not the kernels: several CUDA and cuDNN
    operations are nondeterministic by default, so two runs with the same
    seed still drift apart. Whoever seeds usually wants repeatable runs and
    has to ask for deterministic kernels too.

    ## Example
    ```python
    import torch

    torch.manual_seed(0)
    for x, y in loader:
        loss_fn(model(x), y).backward()
        optimizer.step()
    ```

    Use instead:
    ```python
    import torch

    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True)
    for x, y in loader:
        loss_fn(model(x), y).backward()
        optimizer.step()
    ```
    """

    code = "CKPT404"
    name = "determinism-not-requested"
    message = "The run is seeded but deterministic algorithms are never requested"
    fix_availability = FixAvailability.NEVER
    opt_in = True
    requires = (TORCH, SEEDS)

    VALID = [
        Valid(
            """
            import torch
            def main(args):
                torch.manual_seed(0)
                if args.deterministic:
                    torch.backends.cudnn.deterministic = True  # under a flag: counts
            """
        ),
        Valid(
            """
            import torch
            import ckptlint.runtime
            ckptlint.runtime.seed_everything(0, deterministic=True)
            torch.use_deterministic_algorithms(True, warn_only=True)
            """
        ),
        Valid(
            """
            import numpy as np
            import torch
            class SyntheticDataset(torch.utils.data.Dataset):  # seeds, never trains: not its decision
                def __init__(self, seed):
                    torch.manual_seed(seed)
                    np.random.seed(seed)
            """
        ),
        Valid(
            """
            import torch
            from common import set_seed

            def train(model, optimizer, loader):
                set_seed(0)  # `common.py` also sets cudnn.deterministic
                for x, y in loader:
                    optimizer.zero_grad()
                    model(x).sum().backward()
                    optimizer.step()
            """,
            modules={
                "common.py": """
                    import torch

                    def set_seed(seed, deterministic=True):
                        torch.manual_seed(seed)
                        torch.backends.cudnn.deterministic = deterministic
                """
            },
        ),
    ]
    INVALID = [
        Invalid(
            """
            import random
            import torch
            def set_seed(seed):
                random.seed(seed)  # reported here: the first seeding call
                torch.manual_seed(seed)
            set_seed(0)
            for x, y in loader:
                loss_fn(model(x), y).backward()
            """,
        ),
        Invalid(
            """
            import torch
            from common import set_seed

            def train(model, optimizer, loader):
                set_seed(0)  # reported here: the seeding helper of `common.py`
                for x, y in loader:
                    optimizer.zero_grad()
                    model(x).sum().backward()
                    optimizer.step()
            """,
            modules={"common.py": "import torch\n\ndef set_seed(seed):\n    torch.manual_seed(seed)\n"},
        ),
    ]

    def check_module(self, ctx: Context) -> None:
        seeding = ctx.model.seeding
        first = seeding.first_call
        if first is None or seeding.requests_determinism or not ctx.model.imports.imports_module("torch"):
            return  # determinism is asked of torch: a file that does not import it has nothing to ask
        if not ctx.model.loops.trains:
            return  # a dataset, model or inference module: the training script decides (revision 2)
        ctx.report(first.call)
