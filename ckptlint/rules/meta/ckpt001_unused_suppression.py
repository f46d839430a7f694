"""CKPT001 unused-suppression: a `# noqa: CKPTnnn` or `# ckptlint: disable=` that suppresses nothing."""

from __future__ import annotations

from ckptlint.fixes import Applicability
from ckptlint.rules.base import Context, FixAvailability, Invalid, Rule, Valid
from ckptlint.rules.words import SUPPRESSIONS


class UnusedSuppression(Rule):
    """
    ## What it does
    Flags a `# noqa: CKPTnnn`, `# ckptlint: disable=...` or
    `# ckptlint: disable-next=...` entry that suppressed no finding in this
    run, for the codes of rules that ran on the file. A bare `# noqa` is never
    flagged (other tools read it too), nor are codes of other tools, nor codes
    of rules that are not enabled for the file (an opt-in rule may be enabled
    in CI only).

    ## Why is this bad?
    A suppression outlives the finding it was written for: once the code is
    fixed, the comment stays and silently hides the next real problem on that
    line. Reporting it keeps suppressions honest, as ruff's `RUF100` does.

    ## Example
    ```python
    import torch

    state = torch.load("ckpt.pt", map_location="cpu", weights_only=True)  # noqa: CKPT201
    ```

    Use instead:
    ```python
    import torch

    state = torch.load("ckpt.pt", map_location="cpu", weights_only=True)
    ```

    ## Fix safety
    Safe: the fix removes only the unused codes (or the whole comment when no
    code is left), so nothing that was suppressed becomes visible. Add
    `CKPT001` to a suppression to keep it anyway (`# noqa: CKPT109, CKPT001`).
    """

    code = "CKPT001"
    name = "unused-suppression"
    message = "Unused suppression"
    fix_title = "Remove the unused suppression"
    fix_availability = FixAvailability.ALWAYS
    fix_class = "safe"
    # Only a file that names a rule code or ckptlint can hold one of our
    # suppressions: files with other tools' `# noqa` need no parse for this.
    requires = (SUPPRESSIONS,)

    VALID = [
        Valid(
            """
            import torch
            state = torch.load("ckpt.pt")  # noqa: CKPT201, CKPT202
            """
        ),
        Valid(
            """
            import torch
            state = torch.load("ckpt.pt", map_location="cpu", weights_only=True)  # noqa
            x = 1  # noqa: E501
            """
        ),
        Valid(
            """
            import torch
            # ckptlint: disable-next=load-without-map-location
            state = torch.load("ckpt.pt", weights_only=True)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            state = torch.load("ckpt.pt", weights_only=True)  # noqa: CKPT201, CKPT202
            """,
            fixed="""
            import torch
            state = torch.load("ckpt.pt", weights_only=True)  # noqa: CKPT201
            """,
            applicability=Applicability.SAFE,
        ),
        Invalid(
            """
            import torch
            state = torch.load("ckpt.pt", map_location="cpu", weights_only=True)  # noqa: E501, CKPT201
            # ckptlint: disable=CKPT202
            x = 1
            """,
            fixed="""
            import torch
            state = torch.load("ckpt.pt", map_location="cpu", weights_only=True)  # noqa: E501
            x = 1
            """,
            applicability=Applicability.SAFE,
        ),
    ]

    def check_module(self, ctx: Context) -> None:
        """Nothing: the engine reports unused suppressions after it applied them
        (`ckptlint/engine/unused.py`)."""
