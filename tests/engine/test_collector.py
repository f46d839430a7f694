"""Python's cycle collector and the lints: a large file is analysed with its tree out of the
collector's sight, and only then; a run leaves no cyclic garbage for it (each model's last holder
closes it), so a run starts the collector less often."""

from __future__ import annotations

import gc
import os
import weakref

import pytest

from support import FIXTURES, settings

from ckptlint.api import lint_paths, lint_source
from ckptlint.config.settings import ProjectSettings
from ckptlint.engine import runner
from ckptlint.engine.options import Cancelled, LintOptions
from ckptlint.engine.session import collection
from ckptlint.rules.registry import RULES
from ckptlint.semantic.model import SemanticModel

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


HELPERS = """
import torch


def save_checkpoint(model, path):
    torch.save(model, path)


def build_model():
    return torch.nn.Linear(2, 2)
"""
TRAIN = """
import torch
from utils import build_model, save_checkpoint

model = build_model()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(3):
    for batch in range(10):
        optimizer.step()
    save_checkpoint(model, f"ckpt_{epoch}.pt")
"""


@pytest.fixture
def cyclic_garbage():
    """What the collector would free, by type name, once the test is done: collection is off
    during the test, and the objects are saved instead of freed (`gc.DEBUG_SAVEALL`)."""
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    found = {}

    def collect() -> dict:
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            gc.collect()
            for obj in gc.garbage:
                name = type(obj).__qualname__
                found[name] = found.get(name, 0) + 1
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
        return found

    yield collect
    if enabled:
        gc.enable()


def test_a_run_leaves_no_syntax_tree_to_the_cycle_collector(tmp_path, cyclic_garbage) -> None:
    (tmp_path / "utils.py").write_text(HELPERS)
    (tmp_path / "train.py").write_text(TRAIN)
    bad = [os.path.join(FIXTURES, "bad", name) for name in sorted(os.listdir(os.path.join(FIXTURES, "bad")))]
    report = lint_paths([str(tmp_path / "train.py"), *bad], settings(root=str(tmp_path)))
    train = next(file for file in report.files if os.path.basename(file.path) == "train.py")
    assert "CKPT101" in {d.code for d in train.diagnostics}  # the helper's save, through its summary
    assert len([file for file in report.files if file.diagnostics]) == 1 + len(bad)
    garbage = cyclic_garbage()
    assert garbage.get("SemanticModel", 0) == 0
    assert garbage.get("Module", 0) == 0  # libcst's: a whole tree freed by reference counting
    assert garbage.get("Name", 0) == 0  # nor part of one (a loop's nodes, a fix's context)
    # Nor the way a lint saw the project: its view, and the walk of the code it reaches.
    assert {name: garbage.get(name, 0) for name in ("FileView", "ReachWords", "Closure")} == dict.fromkeys(
        ("FileView", "ReachWords", "Closure"), 0
    )


def test_a_model_lent_to_a_lint_keeps_its_facts_until_its_last_holder_closes_it() -> None:
    import libcst as cst

    model = SemanticModel(cst.parse_module(TRAIN), TRAIN)
    saves = model.saves
    assert model.lend() is model
    model.close()  # the summary's source lets it go while the file's lint still reads it
    assert model.saves is saves
    model.close()  # the lint is done
    assert "saves" not in model.__dict__ and "kinds" not in model.__dict__
    assert model.saves is not saves and len(model.saves.sites) == len(saves.sites)  # computed again


def test_a_run_starts_the_collector_less_often_and_gives_the_thresholds_back() -> None:
    before = gc.get_threshold()
    seen = []
    with collection.run_collection():
        seen.append(gc.get_threshold())
    assert seen == [(max(before[0], collection.ALLOCATIONS), *before[1:])]
    assert gc.get_threshold() == before


SAVING = HELPERS + """

model = build_model()
for epoch in range(3):
    torch.save(model, "last.pt")
"""



def _lint_saving(options: LintOptions):  # type: ignore[no-untyped-def]
    """A lint of `SAVING` whose fixes are left to build (as the language server lints)."""
    return lint_source(SAVING, "train.py", settings({"select": ["ALL"]}), options=options)


def test_a_lint_whose_fixes_are_built_later_is_freed_once_closed(cyclic_garbage) -> None:
    """A language server keeps the findings of a document's current version, their fixes still to
    build; once a newer version has its result, the older lint is closed (`LintOutcome.close`) and
    its model freed by reference counting at once (the collector is off here), its fixes never
    built. Unclosed, the model waits for the collector."""
    outcome = _lint_saving(LintOptions(fixes=False))
    fixable = sum(d.fix_later is not None for d in outcome.diagnostics)
    model = weakref.ref(outcome._model)
    outcome.close()
    outcome.close()  # twice is once
    del outcome
    assert fixable and model() is None
    unclosed = _lint_saving(LintOptions(fixes=False))
    model = weakref.ref(unclosed._model)
    del unclosed
    assert model() is not None  # cyclic garbage
    assert cyclic_garbage().get("SemanticModel", 0) == 1 and model() is None


def test_a_superseded_lint_closes_its_model(monkeypatch) -> None:
    closed = []
    original = SemanticModel.close
    monkeypatch.setattr(SemanticModel, "close", lambda self: closed.append(self) or original(self))
    asked = []

    def cancelled() -> bool:  # superseded once the model is built: between two rules
        asked.append(1)
        return len(asked) > 2  # before the parse, after it, then the first rule

    with pytest.raises(Cancelled):
        _lint_saving(LintOptions(fixes=False, cancelled=cancelled))
    assert len(closed) == 1
