"""The pre-filter is sufficient: with and without it, the findings are identical."""

from __future__ import annotations

import os

import pytest
from support import FIXTURES, settings

from ckptlint.api import lint_source
from ckptlint.engine.prefilter import needs_analysis
from ckptlint.engine.source import read_source
from ckptlint.rules.loading.ckpt201_load_without_map_location import LoadWithoutMapLocation
from ckptlint.rules.registry import RULES


def _sources():
    for rule in RULES:
        for index, example in enumerate(rule.VALID + rule.INVALID):
            yield f"{rule.code}-{index}", example.source, dict(example.settings)
    for directory, _, files in os.walk(FIXTURES):
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                yield os.path.relpath(path, FIXTURES), read_source(path, 10**7).text, {}


CASES = list(_sources())


def _findings(text: str, table: dict) -> list:
    config = settings({**table, "select": ["ALL"]})
    outcome = lint_source(text, "example.py", config)
    return [(d.code, d.span, d.message, d.fix) for d in outcome.diagnostics] + [e.message for e in outcome.errors]


@pytest.mark.parametrize("name, text, table", CASES, ids=[c[0] for c in CASES])
def test_same_findings_with_and_without_the_prefilter(name: str, text: str, table: dict, monkeypatch) -> None:
    with_filter = _findings(text, table)
    monkeypatch.setenv("CKPTLINT_NO_PREFILTER", "1")
    without_filter = _findings(text, table)
    assert with_filter == without_filter


def test_files_that_cannot_matter_are_not_parsed() -> None:
    project = settings().project
    assert not needs_analysis("import numpy as np\nnp.load('x')\n", RULES, project)
    assert not needs_analysis("import torch\nx = torch.zeros(3)\n", [LoadWithoutMapLocation], project)
    assert needs_analysis("import torch\nsd = torch.load('x')\n", [LoadWithoutMapLocation], project)
    # a syntax error in a file no rule can look at is not reported
    assert lint_source("def f(:\n", "x.py", settings()).errors == []
    assert lint_source("import torch\ndef f(:\n", "x.py", settings()).errors == []  # no save, no load
    assert lint_source("import torch\ntorch.load('a')\ndef f(:\n", "x.py", settings()).errors


def test_configured_project_functions_widen_the_filter() -> None:
    text = "from mypkg.io import restore\nrestore('x')\n"  # neither "torch" nor "load"
    assert not needs_analysis(text, RULES, settings().project)
    assert needs_analysis(text, RULES, settings({"load-functions": ["mypkg.io.restore"]}).project)
    assert needs_analysis(text, RULES, settings({"save-functions": ["mypkg.io.restore"]}).project)
