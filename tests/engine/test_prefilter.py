"""The pre-filter is sufficient: with and without it, the findings are identical."""

from __future__ import annotations

import os
import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from support import FIXTURES, project, settings

from ckptlint.api import lint_source
from ckptlint.engine.prefilter import SourceWords, _project_words, needs_analysis, rule_can_fire
from ckptlint.engine.source import read_source
from ckptlint.rules.loading.ckpt201_load_without_map_location import LoadWithoutMapLocation
from ckptlint.rules.registry import RULES
from ckptlint.rules.saving.ckpt101_save_whole_model import SaveWholeModel


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


def _project_cases():
    for rule in RULES:
        for index, case in enumerate(rule.VALID + rule.INVALID):
            if case.modules:
                yield f"{rule.code}-{index}", case.source, dict(case.settings), dict(case.modules)


PROJECT_CASES = list(_project_cases())


def _project_findings(code: str, table: dict, modules: dict) -> list:
    with project(code, {**table, "select": ["ALL"]}, "train.py", modules) as (text, path, config, view):
        outcome = lint_source(text, path, config, view=view)
    return [(d.code, d.span, d.message, d.fix) for d in outcome.diagnostics] + [e.message for e in outcome.errors]


@pytest.mark.parametrize("name, code, table, modules", PROJECT_CASES, ids=[c[0] for c in PROJECT_CASES])
def test_same_findings_with_and_without_the_prefilter_across_modules(name, code, table, modules, monkeypatch) -> None:
    """With a project, the filter reads the words of the code the file reaches in its other
    modules (`program/reach.py`) and never a `LOCAL_ONLY` word there: no finding may depend on it."""
    with_filter = _project_findings(code, table, modules)
    monkeypatch.setenv("CKPTLINT_NO_PREFILTER", "1")
    assert with_filter == _project_findings(code, table, modules)


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


@pytest.mark.parametrize("name, text, table", CASES, ids=[c[0] for c in CASES])
def test_each_rule_that_fires_passes_its_own_filter(name: str, text: str, table: dict) -> None:
    """Per rule, not per file: with every rule selected, another rule's words can let a file
    through and hide one rule's too-narrow `requires` from the test above."""
    config = settings({**table, "select": ["ALL"]})
    fired = {d.code for d in lint_source(text, "example.py", config).diagnostics}
    extra = _project_words(config.project)
    words = SourceWords(text)
    narrow = [rule.code for rule in RULES if rule.code in fired and not rule_can_fire(words, rule, extra)]
    assert narrow == []


@pytest.mark.parametrize(
    "text",
    [
        "import torch\ntorch.save(model, 'm.pt')\n",
        "import torch as th\nth.save(model, 'm.pt')\n",
        "from torch import save as keep\nkeep(model, 'm.pt')\n",
        "import torch.serialization\ntorch.serialization.save(model, 'm.pt')\n",
        "import torch\nfrom ckptlint.runtime import atomic_save\natomic_save(model, 'm.pt')\n",
        "import torch\ntorch.\\\n    save(model, 'm.pt')\n",
    ],
)
def test_every_spelling_of_a_save_passes(text: str) -> None:
    assert needs_analysis(text, [SaveWholeModel], settings().project)


@pytest.mark.parametrize(
    "text",
    [
        "import torch\nmodel.save_pretrained('out')\nsaved = True\n",
        "import torch\nsaver.autosave(model)\n",
        "import torchvision\nsave(model)\n",  # `torchvision` is not the identifier `torch`
        "import torch\nsavé = 1\n",  # identifiers are Unicode: `savé` is not `save`
    ],
)
def test_words_are_whole_identifiers(text: str) -> None:
    assert not needs_analysis(text, [SaveWholeModel], settings().project)


def test_a_star_lets_the_identifier_continue() -> None:
    words = SourceWords("start_epoch = 3\nrank = int(os.environ['LOCAL_RANK'])\nDistributedSampler\n")
    assert "*epoch*" in words and "*RANK*" in words and "Distributed*" in words
    assert "epoch" not in words and "RANK" not in words and "Distributed" not in words


def test_a_case_insensitive_word() -> None:
    words = SourceWords("state = ckpt['Epoch']  # CkptLint: disable=CKPT203\n")
    assert "(?i)*epoch*" in words and "(?i)*ckptlint*" in words
    assert "*epoch*" not in words


@given(
    core=st.text(alphabet="ab._", min_size=1, max_size=4),
    text=st.text(alphabet="ab._ \nxé", max_size=40),
    star_start=st.booleans(),
    star_end=st.booleans(),
    ignore_case=st.booleans(),
)
@example(core="a.a", text="xa.a.a", star_start=False, star_end=False, ignore_case=False)  # overlapping: the second counts
def test_a_word_occurs_exactly_when_the_lookbehind_regex_finds_it(core, text, star_start, star_end, ignore_case) -> None:
    # SourceWords checks the character before an occurrence apart from its regex (a regex that
    # starts with a lookbehind is 15x slower); the answer must be the lookbehind regex's.
    word = ("(?i)" if ignore_case else "") + ("*" if star_start else "") + core + ("*" if star_end else "")
    reference = re.compile(
        ("" if star_start else r"(?<!\w)") + re.escape(core) + ("" if star_end else r"(?!\w)"),
        re.IGNORECASE if ignore_case else 0,
    )
    assert (word in SourceWords(text)) == (reference.search(text) is not None)
