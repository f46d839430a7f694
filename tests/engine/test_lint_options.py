"""`LintOptions`: fixes built only when read, and a lint that stops when it is superseded (#19)."""

from __future__ import annotations

import glob
import os
from dataclasses import replace

import pytest
from support import FIXTURES, settings

from ckptlint.engine.analysis import lint_source
from ckptlint.engine.options import Cancelled, LintOptions, fix_of
from ckptlint.engine.suppressions.unused import META_CODES
from ckptlint.rules.registry import RULES

CASES = sorted(glob.glob(os.path.join(FIXTURES, "*", "*.py")))
EXAMPLES = [
    (rule.code, index, example)
    for rule in RULES
    for index, example in enumerate(rule.INVALID)
    if rule.fix_availability.value != "never"
]


def _same_findings_and_fixes(text: str, path: str, table) -> None:  # type: ignore[no-untyped-def]
    config = settings({"select": ["ALL"], **table})
    eager = lint_source(text, path, config)
    lazy = lint_source(text, path, config, options=LintOptions(fixes=False))
    assert [replace(d, fix=None) for d in eager.diagnostics] == [replace(d, fix=None) for d in lazy.diagnostics]
    # (the findings about suppression comments, CKPT001, carry their small fix as they are)
    assert all(d.fix is None and d.fix_later is not None for d in lazy.diagnostics if d.code not in META_CODES)
    assert [d.fix for d in eager.diagnostics] == [fix_of(d) for d in lazy.diagnostics]
    assert eager.errors == lazy.errors


@pytest.mark.parametrize("path", CASES, ids=lambda p: os.path.relpath(p, FIXTURES))
def test_a_fix_built_when_asked_is_the_fix_the_lint_would_have_built(path) -> None:
    with open(path, encoding="utf-8") as handle:
        _same_findings_and_fixes(handle.read(), path, {})


@pytest.mark.parametrize("code, index, example", EXAMPLES, ids=[f"{c}-{i}" for c, i, _ in EXAMPLES])
def test_the_same_on_every_fixable_rule_example(code, index, example) -> None:
    _same_findings_and_fixes(example.source, "example.py", dict(example.settings))


def test_a_fixes_free_lint_builds_no_fix(monkeypatch) -> None:
    """Building CKPT201's fix asks the model whether the load only restores state: without fixes
    that question is never asked."""
    from ckptlint.semantic.core import flows

    asked = []
    real = flows.Flows.only_restores_state
    monkeypatch.setattr(flows.Flows, "only_restores_state", lambda self, call: asked.append(call) or real(self, call))
    text = "import torch\nsd = torch.load('a.pt')\n"
    lazy = lint_source(text, "a.py", settings(), options=LintOptions(fixes=False))
    assert [d.code for d in lazy.diagnostics] == ["CKPT201", "CKPT202"] and asked == []
    fix_of(lazy.diagnostics[0])
    assert len(asked) == 1


def test_a_superseded_lint_stops_at_a_checkpoint() -> None:
    text = open(os.path.join(FIXTURES, "bad", "resume_from_checkpoint.py"), encoding="utf-8").read()
    asked = []

    def cancelled() -> bool:
        asked.append(1)
        return len(asked) > 3  # superseded while its rules run

    with pytest.raises(Cancelled):
        lint_source(text, "train.py", settings(), options=LintOptions(cancelled=cancelled))
    assert len(asked) == 4
    # a lint nobody cancels asks at each checkpoint and finishes
    asked.clear()
    outcome = lint_source(text, "train.py", settings(), options=LintOptions(cancelled=lambda: bool(asked.append(1))))
    assert outcome.diagnostics and len(asked) > 10


def test_cancelled_passes_through_the_per_rule_boundary() -> None:
    """A rule's failure becomes a file error; a cancellation is no failure and must not."""
    assert not issubclass(Cancelled, Exception)
