"""Baselines: keyed on path, code, line text and occurrence, never on line numbers."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from support import enter_project

from ckptlint.cli import cli

BAD = "import torch\n\n\ndef load(path):\n    return torch.load(path)\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    enter_project(tmp_path, monkeypatch)
    (tmp_path / "src").mkdir()
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_write_then_check_is_clean(project) -> None:
    (project / "src" / "a.py").write_text(BAD)
    written = run("check", "src", "--write-baseline", "ckptlint-baseline.json")
    assert written.exit_code == 0
    assert "Recorded 2 findings in ckptlint-baseline.json." in written.output
    document = json.loads((project / "ckptlint-baseline.json").read_text())
    assert document["version"] == 1
    assert document["entries"][0] == {
        "path": "src/a.py",
        "code": "CKPT201",
        "line": "return torch.load(path)",
        "occurrence": 0,
    }
    result = run("check", "src", "--baseline", "ckptlint-baseline.json")
    assert result.exit_code == 0 and "All checks passed!" in result.output


def test_baseline_survives_ten_lines_above_and_a_new_finding_still_fails(project) -> None:
    (project / "src" / "a.py").write_text(BAD)
    run("check", "src", "--write-baseline", "base.json")
    padding = "".join(f"# line {i}\n" for i in range(10))
    new_finding = "\n\ndef other(p):\n    return torch.load(p, weights_only=True)\n"
    (project / "src" / "a.py").write_text(padding + BAD.replace("    return", "\n    return") + new_finding)
    result = run("check", "src", "--baseline", "base.json", "--output-format", "concise")
    assert result.exit_code == 1
    findings = [line for line in result.output.splitlines() if ": CKPT" in line]
    assert findings == ["src/a.py:20:12: CKPT201 `torch.load` without `map_location`"]  # an unsafe fix: no [*]
    # The old finding moved from line 5 to line 16 and stays quiet.
    assert run("check", "src", "--output-format", "concise").output.count("src/a.py:16:") == 2


def test_one_more_occurrence_of_the_same_line_is_new(project) -> None:
    (project / "src" / "a.py").write_text(BAD)
    run("check", "src", "--write-baseline", "base.json")
    (project / "src" / "a.py").write_text(BAD + "\n\ndef again(path):\n    return torch.load(path)\n")
    result = run("check", "src", "--baseline", "base.json", "--output-format", "concise")
    assert result.exit_code == 1
    assert len([line for line in result.output.splitlines() if ": CKPT" in line]) == 2


def test_baseline_paths_are_relative_to_the_project_root(project, monkeypatch) -> None:
    (project / "src" / "a.py").write_text(BAD)
    run("check", "src", "--write-baseline", "base.json")
    monkeypatch.chdir(project / "src")
    assert run("check", ".", "--baseline", "../base.json").exit_code == 0


def test_missing_or_bad_baseline_is_an_error(project) -> None:
    (project / "src" / "a.py").write_text(BAD)
    result = run("check", "src", "--baseline", "nope.json")
    assert result.exit_code == 2 and "does not exist" in result.output
    (project / "bad.json").write_text('{"version": 99, "entries": []}')
    assert run("check", "src", "--baseline", "bad.json").exit_code == 2
