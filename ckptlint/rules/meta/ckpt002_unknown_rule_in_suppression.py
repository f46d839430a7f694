"""CKPT002 unknown-rule-in-suppression: a suppression that names no ckptlint rule."""

from __future__ import annotations

from ckptlint.rules.base import Context, Invalid, Rule, Valid
from ckptlint.rules.words import SUPPRESSIONS


class UnknownRuleInSuppression(Rule):
    """
    ## What it does
    Flags a `CKPTnnn` code in a `# noqa:` comment, or a code or name in a
    `# ckptlint:` comment, that is not a ckptlint rule. Codes of other tools
    (`E501`, `F401`) in a `# noqa` comment are never flagged.

    ## Why is this bad?
    A typo in a suppression suppresses nothing, so the finding it was meant
    for is still reported (or, worse, the author believes a rule is off when
    it is not).

    ## Example
    ```python
    import torch

    state = torch.load("ckpt.pt", map_location="cpu")  # noqa: CKPT220
    ```

    Use instead:
    ```python
    import torch

    state = torch.load("ckpt.pt", map_location="cpu")  # noqa: CKPT202
    ```

    ## Fix safety
    No fix: only the author knows which rule was meant.
    """

    code = "CKPT002"
    name = "unknown-rule-in-suppression"
    message = "Unknown rule in suppression"
    requires = (SUPPRESSIONS,)

    VALID = [
        Valid(
            """
            import torch
            state = torch.load("ckpt.pt")  # noqa: CKPT201, E501
            # ckptlint: disable=load-without-weights-only
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            state = torch.load("ckpt.pt")  # noqa: CKPT999
            """
        ),
        Invalid(
            """
            import torch
            # ckptlint: disable-next=load-without-map-locaton
            state = torch.load("ckpt.pt")
            """
        ),
    ]

    def check_module(self, ctx: Context) -> None:
        """Nothing: the engine checks suppression comments (`ckptlint/engine/unused.py`)."""
