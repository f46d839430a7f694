"""Which saves and loads name the same file: found by spelling, not by checking every pair.

A script of n training functions, each with its own save and load, must cost the
matching n lookups, not n x n `same_file` checks (issue #22: a 1.6 MB script
spent most of its time pairing every load with every save).
"""

from __future__ import annotations

from typing import List

import pytest
from support import build_model, lint

from ckptlint.rules.distributed.ckpt302_missing_barrier import MissingBarrier
from ckptlint.rules.loading.ckpt205_saved_but_not_restored import SavedButNotRestored
from ckptlint.semantic.facts.files import CheckpointFiles

FUNCTION = """
def train_{i}():
    torch.save({{"model": model.state_dict(), "optimizer": opt.state_dict(), "rng": torch.get_rng_state()}}, "run_{i}.pt")
    ckpt = torch.load("run_{i}.pt", weights_only=True)
    model.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["optimizer"])
"""


HEADER = "import torch\nimport torch.nn as nn\n\nmodel = nn.Linear(2, 2)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"


def script(functions: int) -> str:
    return HEADER + "".join(FUNCTION.format(i=i) for i in range(functions))


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> List[int]:
    counted = [0]
    same_file = CheckpointFiles.same_file

    def counting(self, a, b):  # type: ignore[no-untyped-def]
        counted[0] += 1
        return same_file(self, a, b)

    monkeypatch.setattr(CheckpointFiles, "same_file", counting)
    return counted


def test_a_load_is_paired_only_with_saves_of_its_spelling(checks: List[int]) -> None:
    found = lint(script(40), rules=[SavedButNotRestored, MissingBarrier])
    assert [d.code for d in found] == ["CKPT205"] * 40  # each resume load misses its own save's "rng"
    assert checks[0] <= 2 * 40  # one check per load (205) and per save (302's readers), not 40 x 40


def test_saves_of_path_keeps_source_order_and_same_file_semantics() -> None:
    model = build_model(script(3) + 'torch.save({}, "run_1.pt")\n')
    load_path = model.resume.load_path(model.resume.loads[1])
    found = model.files.saves_of_path(load_path)
    assert [model.span(s.call).line for s in found] == [14, 24]  # train_1's save, the last line's
    save = model.saves.sites[0]
    assert model.files.loads_of(save) == [model.resume.loads[0]]


def test_the_loads_of_a_state_dict_save_are_found_by_spelling(monkeypatch: pytest.MonkeyPatch) -> None:
    # bench_lsp's synthetic file: CKPT202 asks, for each load, which saves it reads; a save of a
    # bare state dict can only be read through a path spelled as its own, so the loads are
    # looked up, not each checked (142 x 142 pairs in that file)
    from ckptlint.rules.loading.ckpt202_load_without_weights_only import LoadWithoutWeightsOnly

    checked = [0]
    reads = CheckpointFiles._reads_file_of

    def counting(self, save, load, any_reader):  # type: ignore[no-untyped-def]
        checked[0] += 1
        return reads(self, save, load, any_reader)

    monkeypatch.setattr(CheckpointFiles, "_reads_file_of", counting)
    step = """
def step_{i}(model, path):
    state = torch.load(os.path.join(path, "ckpt_{i}.pt"))
    model.load_state_dict(state["model"])
    torch.save(model.state_dict(), f"{{path}}/out_{i}.pt")
"""
    code = "import os\nimport torch\n" + "".join(step.format(i=i) for i in range(30))
    assert [d.code for d in lint(code, rules=[LoadWithoutWeightsOnly])] == ["CKPT202"] * 30
    assert checked[0] == 0  # no save's path is spelled as any load's
