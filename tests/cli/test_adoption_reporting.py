"""`--show-fixes`, `--statistics` and `rule --all`, as ruff's."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from support import enter_project

from ckptlint.cli import cli

BAD = "import torch\nsd = torch.load('a.pt')\nmodel.load_state_dict(sd)\nx = torch.load('b.pt', weights_only=True)  # noqa: CKPT202\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    return enter_project(tmp_path, monkeypatch)


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_show_fixes_after_fix(project) -> None:
    (project / "a.py").write_text(BAD)
    result = run("check", "a.py", "--fix", "--show-fixes")
    assert "Fixed 3 findings:\n- a.py:\n    2 x CKPT201 (load-without-map-location)\n    1 x CKPT001 (unused-suppression)\n" in result.output
    assert "(3 fixed, " in result.output


def test_show_fixes_without_fix_lists_what_fix_would_do(project) -> None:
    (project / "a.py").write_text(BAD)
    result = run("check", "a.py", "--show-fixes", "--output-format", "concise")
    assert "Would fix 3 findings:\n- a.py:\n    2 x CKPT201 (load-without-map-location)\n    1 x CKPT001 (unused-suppression)\n" in result.output
    unsafe = run("check", "a.py", "--show-fixes", "--unsafe-fixes")
    assert "Would fix 4 findings:" in unsafe.output and "1 x CKPT202" in unsafe.output


def test_show_fixes_never_pollutes_machine_formats(project) -> None:
    import json

    (project / "a.py").write_text(BAD)
    json.loads(run("check", "a.py", "--show-fixes", "--output-format", "json").output)


def test_statistics(project) -> None:
    (project / "a.py").write_text(BAD)
    lines = run("check", "a.py", "--statistics").output.splitlines()
    assert lines[0] == "    2  CKPT201  [*] load-without-map-location"
    assert lines[1] == "    1  CKPT001  [*] unused-suppression"


def test_rule_all_lists_every_rule_with_default_and_fix_class() -> None:
    from ckptlint.rules.registry import RULES

    output = run("rule", "--all").output.splitlines()
    assert len(output) == len(RULES)
    assert output[0].split() == ["CKPT001", "unused-suppression", "on", "fix:", "safe"]
    assert output[1].split() == ["CKPT002", "unknown-rule-in-suppression", "on", "fix:", "none"]
    assert any(line.split()[:3] == ["CKPT109", "non-atomic-save", "opt-in"] for line in output)


def test_rule_prints_the_meta_rule_document() -> None:
    assert run("rule", "CKPT001").output.startswith("# CKPT001 unused-suppression\n")
