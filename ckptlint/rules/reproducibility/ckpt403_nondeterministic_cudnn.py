"""CKPT403 nondeterministic-cudnn: a seeded run that turns on cuDNN benchmarking."""

from __future__ import annotations

from ckptlint.rules.base import Context, FixAvailability, Invalid, Rule, Valid
from ckptlint.rules.words import SEEDS, TORCH


class NondeterministicCudnn(Rule):
    """
    ## What it does
    Flags `torch.backends.cudnn.benchmark = True` (any import spelling,
    under a condition too) in a file that seeds. A value that is not the
    literal `True` (`= args.benchmark`) is not flagged, nor is a
    `benchmark = True` in one branch of an `if` whose other branch requests
    determinism (the user chose between speed and repeatability).

    ## Why is this bad?
    With benchmarking on, cuDNN times several convolution algorithms on the
    first batches and keeps the fastest, which varies from run to run and
    machine to machine; some of them are not deterministic. The seed then
    no longer makes the run repeatable.

    ## Example
    ```python
    import torch

    torch.manual_seed(0)
    torch.backends.cudnn.benchmark = True
    ```

    Use instead:
    ```python
    import torch

    torch.manual_seed(0)
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    ```
    """

    code = "CKPT403"
    name = "nondeterministic-cudnn"
    message = "`cudnn.benchmark = True` in a seeded run: cuDNN picks algorithms that vary between runs"
    fix_availability = FixAvailability.NEVER
    requires = (TORCH, ("benchmark",), SEEDS)

    VALID = [
        Valid(
            """
            import torch
            torch.backends.cudnn.benchmark = True  # the file never seeds
            """
        ),
        Valid(
            """
            import torch
            import torch.backends.cudnn as cudnn
            def main(args):
                torch.manual_seed(args.seed)
                cudnn.benchmark = args.benchmark  # not the literal True
            """
        ),
        Valid(
            """
            import torch
            from torch.backends import cudnn
            def setup(deterministic):
                torch.manual_seed(12345)
                if deterministic:
                    cudnn.deterministic = True
                    cudnn.benchmark = False
                else:
                    cudnn.benchmark = True  # the other branch requests determinism: a choice
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import random
            import torch.backends.cudnn as cudnn
            def main(args):
                random.seed(args.seed)
                if args.fast:
                    cudnn.benchmark = True
            """,
        ),
    ]

    def check_module(self, ctx: Context) -> None:
        seeding = ctx.model.seeding
        if not seeding.seeds:
            return
        for assignment in seeding.benchmark_enabled():
            ctx.report(assignment.statement)
