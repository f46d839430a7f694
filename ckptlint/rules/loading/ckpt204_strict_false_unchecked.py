"""CKPT204 strict-false-unchecked: `load_state_dict(strict=False)` that hides which weights did not load."""

from __future__ import annotations

from ckptlint.rules.base import Context, FixAvailability, Invalid, Rule, Valid
from ckptlint.rules.words import TORCH


class StrictFalseUnchecked(Rule):
    """
    ## What it does
    Flags `load_state_dict(..., strict=False)` whose result (the missing and
    unexpected keys) is thrown away: the call is a statement of its own, or
    its result is assigned to names that are never read. A result that is
    assigned and then printed, logged, asserted, returned or inspected in
    any way counts as checked.

    ## Why is this bad?
    `strict=False` turns every key mismatch into a silent no-op. A checkpoint
    saved from a DDP-wrapped model (`module.` prefixes) or a renamed layer
    then loads *nothing* into the affected parameters, and training or
    evaluation continues from random weights without an error.

    ## Example
    ```python
    import torch

    model.load_state_dict(torch.load("ckpt.pt", map_location="cpu"), strict=False)
    ```

    Use instead:
    ```python
    import torch

    result = model.load_state_dict(torch.load("ckpt.pt", map_location="cpu"), strict=False)
    assert not result.unexpected_keys, result.unexpected_keys
    print("missing keys:", result.missing_keys)
    ```
    """

    code = "CKPT204"
    name = "strict-false-unchecked"
    message = "`load_state_dict(..., strict=False)` result is ignored: missing and unexpected keys go unnoticed"
    fix_availability = FixAvailability.NEVER
    fix_class = "none"
    requires = (TORCH, ("load_state_dict",), ("strict",))

    VALID = [
        Valid(
            """
            import torch
            missing, unexpected = model.load_state_dict(torch.load("a.pt"), strict=False)
            logger.info("missing: %s", missing)
            """
        ),
        Valid(
            """
            import torch
            def load(model, sd):
                return model.load_state_dict(sd, strict=False)
            """
        ),
        Valid(
            """
            import torch
            model.load_state_dict(torch.load("a.pt"))  # strict by default
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            model.load_state_dict(torch.load("a.pt"), strict=False)
            """
        ),
        Invalid(
            """
            import torch
            msg = model.load_state_dict(torch.load("a.pt"), strict=False)
            """
        ),
    ]

    def check_module(self, ctx: Context) -> None:
        for call in ctx.model.resume.strict_false_unchecked():
            ctx.report(call)
