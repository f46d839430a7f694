"""How the engine routes the model's sites to a rule's hooks (`engine/runner.py::_run_rule`)."""

from __future__ import annotations

from typing import ClassVar, List

from support import build_model, settings

from ckptlint.engine.runner import LintOutcome, _run_rule
from ckptlint.rules.base import Context, Rule
from ckptlint.semantic.facts.resume import LoadSite
from ckptlint.semantic.facts.saves import SaveSite

CODE = """
import torch
def train(model):
    torch.save(model.state_dict(), "a.pt")
    ckpt = torch.load("a.pt")
torch.save({}, "b.pt")
"""


class _Recorder(Rule):
    code = "CKPT990"
    name = "recorder"
    message = "seen"
    asked: ClassVar[List[str]] = []
    gate: ClassVar[bool] = True

    def applies(self, ctx: Context) -> bool:
        self.asked.append("applies")
        return self.gate


class SaveRecorder(_Recorder):
    def check_save(self, save: SaveSite, ctx: Context) -> None:
        ctx.report(save.call)


class LoadRecorder(_Recorder):
    def check_load(self, load: LoadSite, ctx: Context) -> None:
        ctx.report(load.call)
        ctx.report(load.call)  # the same finding twice is one finding


class Failing(_Recorder):
    def check_save(self, save: SaveSite, ctx: Context) -> None:
        if save.path is not None and "b.pt" in ctx.model.code(save.path):
            raise ValueError("boom")


def _run(rule: type, code: str = CODE) -> "tuple[LintOutcome, object]":
    _Recorder.asked.clear()
    model = build_model(code)
    outcome = LintOutcome()
    _run_rule(rule(), model, "example.py", settings().project, outcome)
    return outcome, model


def test_each_save_and_each_load_reaches_its_hook_once_in_source_order() -> None:
    saves, _ = _run(SaveRecorder)
    assert [d.span.line for d in saves.diagnostics] == [3, 5]
    loads, _ = _run(LoadRecorder)
    assert [d.span.line for d in loads.diagnostics] == [4]
    assert _Recorder.asked == ["applies"]  # asked once


def test_the_sites_of_a_hook_the_rule_does_not_implement_are_never_computed() -> None:
    _, model = _run(LoadRecorder)
    assert "saves" not in vars(model) and "resume" in vars(model)


def test_a_gate_that_says_no_runs_no_hook_and_is_not_asked_without_a_site(monkeypatch) -> None:
    monkeypatch.setattr(_Recorder, "gate", False)
    outcome, _ = _run(SaveRecorder)
    assert outcome.diagnostics == [] and _Recorder.asked == ["applies"]
    outcome, _ = _run(SaveRecorder, "import torch\nx = 1\n")
    assert outcome.diagnostics == [] and _Recorder.asked == []


def test_a_failing_hook_is_reported_at_the_site_it_was_checking() -> None:
    outcome, _ = _run(Failing)
    assert outcome.diagnostics == []
    assert len(outcome.errors) == 1 and outcome.errors[0].line == 5
    assert "CKPT990" in outcome.errors[0].message and "ValueError: boom" in outcome.errors[0].message
