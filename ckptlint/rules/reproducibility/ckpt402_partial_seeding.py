"""CKPT402 partial-seeding: `torch.manual_seed` in a file that draws from an unseeded global RNG."""

from __future__ import annotations

from functools import partial

import libcst as cst

from ckptlint.fixes import Applicability, Fix, builders
from ckptlint.fixes.imports import runtime_reference
from ckptlint.rules.base import Context, FixAvailability, Invalid, Rule, Valid
from ckptlint.rules.words import TORCH


class PartialSeeding(Rule):
    """
    ## What it does
    Flags `torch.manual_seed(...)` in a file that calls the module-level
    functions of `random` or `numpy.random` (`random.shuffle`,
    `np.random.rand`, ...) and never seeds that module (`random.seed`,
    `np.random.seed`, a same-file helper that does, or a `seed_everything` /
    `set_seed` that seeds everything). Generators (`np.random.default_rng`,
    `random.Random`) are not global draws. A missing
    `torch.cuda.manual_seed*` is not a finding: `torch.manual_seed` already
    seeds every CUDA device.

    ## Why is this bad?
    The run looks seeded, but the augmentations, sampling or noise drawn from
    `random` / `numpy` differ on every run: results cannot be reproduced, and
    a resumed run does not continue the same sequence.

    ## Example
    ```python
    import random
    import torch

    torch.manual_seed(0)
    crop = random.randint(0, 32)
    ```

    Use instead:
    ```python
    import random
    import torch
    import ckptlint.runtime

    ckptlint.runtime.seed_everything(0)
    crop = random.randint(0, 32)
    ```

    ## Fix safety
    The fix replaces the `torch.manual_seed(seed)` statement with
    `ckptlint.runtime.seed_everything(seed)`, which seeds torch (every
    device), `random` and `numpy` with the same value. It is offered only when
    the call is a statement of its own (its return value is not used). It is
    safe when the project declares the runtime; adding the file's first
    `ckptlint.runtime` import makes it unsafe otherwise.
    """

    code = "CKPT402"
    name = "partial-seeding"
    message = "`torch.manual_seed` leaves `random` / `numpy` unseeded, and this file draws from them"
    fix_title = "Seed every RNG with `ckptlint.runtime.seed_everything`"
    fix_availability = FixAvailability.SOMETIMES
    fix_class = "safe"
    requires = (TORCH, ("manual_seed",))

    VALID = [
        Valid(
            """
            import numpy as np
            import torch
            torch.manual_seed(0)
            x = np.zeros(3)  # imports numpy, never calls `np.random`
            rng = np.random.default_rng(0)
            y = rng.normal(size=3)
            """
        ),
        Valid(
            """
            import random
            import numpy as np
            import torch
            from lightning import seed_everything
            seed_everything(0)
            torch.manual_seed(0)
            random.shuffle([1, 2])
            np.random.rand(2)
            """
        ),
        Valid(
            """
            import random
            import torch
            from common import seed_python

            seed_python(0)  # `common.py` seeds `random`
            torch.manual_seed(0)
            random.shuffle(list(range(10)))
            """,
            modules={"common.py": "import random\n\ndef seed_python(seed):\n    random.seed(seed)\n"},
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            import numpy as np
            import ckptlint.runtime
            def main(seed):
                torch.manual_seed(seed)
                noise = np.random.randn(4)
            """,
            fixed="""
            import torch
            import numpy as np
            import ckptlint.runtime
            def main(seed):
                ckptlint.runtime.seed_everything(seed)
                noise = np.random.randn(4)
            """,
        ),
        Invalid(
            """
            import random
            from torch import manual_seed
            g = manual_seed(1)  # its value is used: no fix
            random.shuffle([1, 2, 3])
            """,
        ),
        Invalid(
            """
            import random
            import torch
            from common import seed_python

            seed_python(0)  # `common.py` seeds only numpy
            torch.manual_seed(0)
            random.shuffle(list(range(10)))
            """,
            modules={"common.py": "import numpy as np\n\ndef seed_python(seed):\n    np.random.seed(seed)\n"},
        ),
    ]

    def check_module(self, ctx: Context) -> None:
        seeding = ctx.model.seeding
        if not seeding.unseeded_global_rngs():
            return
        for seeding_call in seeding.torch_manual_seeds():
            fix = partial(self._fix, ctx, seeding_call.call) if seeding_call.is_statement else None
            ctx.report(seeding_call.call, fix=fix)

    def _fix(self, ctx: Context, call: cst.Call) -> Fix:
        spelling, import_edit = runtime_reference(ctx.model, "seed_everything")
        edit = builders.replace_node(ctx.model, call.func, builders.dotted(spelling))
        return ctx.fix([edit, import_edit], Applicability.SAFE)
