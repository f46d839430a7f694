"""CKPT504 unbounded-checkpoints."""

from __future__ import annotations

from support import codes, dedent, lint

from ckptlint.rules.paths.ckpt504_unbounded_checkpoints import UnboundedCheckpoints

RULES = [UnboundedCheckpoints]

EPOCH_LOOP = dedent(
    """
    import torch
    def train(model, epochs):
        for epoch in range(epochs):
            torch.save(model.state_dict(), {path})
    """
)


def test_fires_for_the_epoch_in_the_name_and_suggests_the_manager() -> None:
    [finding] = lint(EPOCH_LOOP.format(path='f"/ckpt/e{epoch}.pt"'), rules=RULES)
    assert finding.span.line == 4 and "CheckpointManager(keep_last=N)" in finding.message


def test_silent_for_a_loop_that_saves_to_one_fixed_name() -> None:
    assert codes(EPOCH_LOOP.format(path='"/ckpt/last.pt"'), rules=RULES) == []


def test_silent_when_the_module_deletes_old_checkpoints() -> None:
    for deletion in ("import os\nos.remove(old)\n", "from pathlib import Path\nPath(old).unlink()\n", "import shutil\nshutil.rmtree(d)\n"):
        assert codes(EPOCH_LOOP.format(path='f"/ckpt/e{epoch}.pt"') + deletion, rules=RULES) == [], deletion


def test_while_counters_and_helpers_called_from_a_loop_are_not_followed() -> None:
    code = """
        import torch
        def save(model, epoch):
            torch.save(model.state_dict(), f"/ckpt/e{epoch}.pt")
        def train(model, epochs):
            step = 0
            while step < 10:
                torch.save(model.state_dict(), f"/ckpt/s{step}.pt")
                step += 1
            for epoch in range(epochs):
                save(model, epoch)
        """
    assert codes(code, rules=RULES) == []


def test_a_save_under_a_periodic_condition_counts() -> None:
    code = """
        import torch
        def train(model, opt, loader):
            for it, batch in enumerate(loader):
                model(batch).sum().backward()
                opt.step()
                if it % 1000 == 0:
                    torch.save(model.state_dict(), "/ckpt/it_%d.pt" % it)
        """
    assert codes(code, rules=RULES) == ["CKPT504"]
