"""A large file is analysed with its tree out of the cycle collector's sight, and only then."""

from __future__ import annotations

import gc

import pytest

from ckptlint.config.settings import ProjectSettings
from ckptlint.engine import runner
from ckptlint.rules.registry import RULES

SCRIPT = "import torch\nimport torch.nn as nn\n\nmodel = nn.Linear(2, 2)\ntorch.save(model, \"model.pt\")\n"


@pytest.mark.parametrize("threshold, frozen", [(0, True), (10**9, False)])
def test_the_tree_is_frozen_during_the_analysis_and_thawed_after(monkeypatch, threshold, frozen) -> None:
    seen = []
    analyse = runner._analyse

    def watching(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(gc.get_freeze_count() > 0)
        return analyse(*args, **kwargs)

    monkeypatch.setattr(runner, "FREEZE_FROM_CHARACTERS", threshold)
    monkeypatch.setattr(runner, "_analyse", watching)
    outcome = runner.lint_text(SCRIPT, "train.py", list(RULES), ProjectSettings())
    assert [d.code for d in outcome.diagnostics] == ["CKPT101", "CKPT501"]
    assert seen == [frozen]
    assert gc.get_freeze_count() == 0  # thawed: garbage of this lint is collectable again


def test_a_lint_inside_a_lint_does_not_thaw_the_outer_one(monkeypatch) -> None:
    monkeypatch.setattr(runner, "FREEZE_FROM_CHARACTERS", 0)
    states = []
    with runner._tree_out_of_collection():
        with runner._tree_out_of_collection():  # a module's summary built during a file's lint
            pass
        states.append(gc.get_freeze_count() > 0)
    assert states == [True] and gc.get_freeze_count() == 0
