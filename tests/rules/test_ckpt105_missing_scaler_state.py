"""CKPT105 missing-scaler-state."""

from __future__ import annotations

from support import codes, fix

from ckptlint.rules.saving.ckpt105_missing_scaler_state import MissingScalerState

RULES = [MissingScalerState]


def test_amp_loop_with_torch_amp_and_cuda_amp() -> None:
    for ctor in ("torch.amp.GradScaler('cuda')", "torch.cuda.amp.GradScaler()", "GS()"):
        assert codes(
            f"""
            import torch
            import torch.nn as nn
            from torch.cuda.amp import GradScaler as GS
            def train():
                model = nn.Linear(2, 2)
                scaler = {ctor}
                for epoch in range(3):
                    torch.save({{"model": model.state_dict(), "epoch": epoch}}, "a.pt")
            """,
            rules=RULES,
        ) == ["CKPT105"], ctor


def test_fix_multiline_dict_keeps_layout() -> None:
    outcome = fix(
        """
        import torch
        import torch.nn as nn
        model = nn.Linear(2, 2)
        scaler = torch.amp.GradScaler("cuda")
        if args.resume:
            state = torch.load("a.pt")
            model.load_state_dict(state["model"])
        ckpt = {
            "model": model.state_dict(),
            "epoch": 1
        }
        torch.save(ckpt, "a.pt")
        """,
        rules=RULES,
    )
    assert 'state["model"])\n    if "scaler" in state:\n        scaler.load_state_dict(state["scaler"])\nckpt' in outcome.text
    assert outcome.text.endswith(
        'ckpt = {\n    "model": model.state_dict(),\n    "epoch": 1,\n    "scaler": scaler.state_dict()\n}\ntorch.save(ckpt, "a.pt")\n'
    )


def test_silent_when_saved_or_no_scaler() -> None:
    assert codes(
        """
        import torch
        import torch.nn as nn
        model = nn.Linear(2, 2)
        scaler = torch.amp.GradScaler("cuda")
        torch.save({"model": model.state_dict(), "amp": scaler.state_dict()}, "a.pt")
        def other():
            torch.save({"model": model.state_dict()}, "b.pt")
        """,
        rules=RULES,
    ) == ["CKPT105"]  # `other` sees the module-level scaler: a global is in scope
