"""Load sites, reads, restores and raw epoch starts (semantic/resume.py)."""

from __future__ import annotations

import libcst as cst
from support import build_model, dedent

from ckptlint.semantic.model import SemanticModel


def build(code: str) -> SemanticModel:
    return build_model(code)


def test_reads_and_restores() -> None:
    model = build(
        """
        import torch
        ckpt = torch.load("a.pt", map_location="cpu")
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        start = ckpt.get("epoch", 0) + 1
        other = torch.load("b.pt")
        helper(other)
        net.load_state_dict(torch.load("c.pt"))
        """
    )
    first, second, third = model.resume.loads
    assert first.variable == "ckpt" and not first.escapes
    assert sorted(r.key for r in first.reads) == ["epoch", "model", "optimizer"]
    assert sorted((model.code(r.receiver), r.key) for r in first.restores) == [("model", "model"), ("optimizer", "optimizer")]
    assert second.escapes and second.reads == ()
    assert [(model.code(r.receiver), r.key) for r in third.restores] == [("net", None)]


def test_resume_flag_and_epoch_starts() -> None:
    model = build(
        """
        import os
        import torch
        def main(args):
            start_epoch = 0
            if os.path.exists(args.ckpt):
                ckpt = torch.load(args.ckpt)
                start_epoch = int(ckpt["epoch"])
            for epoch in range(start_epoch, args.epochs):
                pass
            best = torch.load("best.pt")  # evaluation only
            evaluate(best)
        """
    )
    resume = model.resume
    load, best = resume.loads
    assert resume.under_resume_flag(load) and not resume.under_resume_flag(best)
    (start,) = resume.epoch_starts
    assert start.load is load and start.read.key == "epoch"
    assert resume.is_resume(load, restores_training_state=False)
    assert not resume.is_resume(best, restores_training_state=False)


def test_strict_false_results() -> None:
    model = build(
        """
        m.load_state_dict(sd, strict=False)
        r = m.load_state_dict(sd, strict=False)
        used = m.load_state_dict(sd, strict=False)
        print(used)
        m.load_state_dict(sd)
        """
    )
    assert [model.span(c).line for c in model.resume.strict_false_unchecked()] == [1, 2]
