"""Loop facts (semantic/loops.py): epoch loop, batch loop, enclosing loops, training steps."""

from __future__ import annotations

import libcst as cst
from support import build_model, dedent

from ckptlint.semantic.model import SemanticModel


def build(code: str) -> SemanticModel:
    return build_model(code)


SCRIPT = """
    import torch
    def train(model, loader, optimizer, scaler, args):
        for epoch in range(args.start_epoch, args.epochs):
            for i, (x, y) in enumerate(loader):
                scaler.scale(model(x).sum()).backward()
                scaler.step(optimizer)
                if i % 100 == 0:
                    torch.save({"model": model.state_dict(), "epoch": epoch}, "mid.pt")
            for name in ["a", "b"]:
                print(name)
            torch.save({"model": model.state_dict(), "epoch": epoch}, "last.pt")

    def evaluate(model, loader):
        for x in loader:
            model(x)
    """


def test_epoch_and_batch_loops() -> None:
    model = build(SCRIPT)
    loops = model.loops
    variables = [(loop.variable, loops.is_epoch_loop(loop), loop.runs_step) for loop in loops.all]
    assert variables == [("epoch", True, True), (None, False, True), ("name", False, False), ("x", False, False)]
    (epoch_loop,) = loops.epoch_loops
    assert [b.node for b in loops.descendants(epoch_loop) if loops.is_batch_loop(b)] == [loops.all[1].node]
    assert loops.is_batch_loop(loops.all[3])  # iterates a loader, no step: an evaluation loop is a batch loop too


def test_enclosing_and_innermost_step_loop() -> None:
    model = build(SCRIPT)
    mid, last = model.saves.sites
    assert [l.variable for l in model.loops.enclosing(mid.call)] == [None, "epoch"]
    assert [l.variable for l in model.loops.enclosing(last.call)] == ["epoch"]
    assert model.loops.innermost_step_loop(mid.call).node is model.loops.all[1].node
    assert model.loops.innermost_step_loop(last.call).variable == "epoch"


def test_epoch_loop_by_saved_key_and_range_bound() -> None:
    model = build(
        """
        import torch
        for i in range(n):
            torch.save({"epoch": i}, "a.pt")
        for j in range(args.num_epochs):
            pass
        for k in range(10):
            pass
        """
    )
    assert [model.loops.is_epoch_loop(l) for l in model.loops.all] == [True, True, False]
    assert model.loops.all[0].range_args is not None


def test_nested_function_starts_afresh() -> None:
    model = build(
        """
        for epoch in range(3):
            def step():
                for b in loader:
                    loss.backward()
        """
    )
    outer, inner = model.loops.all
    assert inner.parent is None and not outer.runs_step and inner.runs_step
