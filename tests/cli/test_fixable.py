"""`[*]` and the summary promise what `--fix` does, as ruff's do (#20 item 3)."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from support import enter_project

from ckptlint.cli import cli

# CKPT201: a safe fix. CKPT202: unsafe. CKPT104: safe (it restores the RNG where the
# job resumes), but it adds the first `import ckptlint.runtime`, so it is unsafe
# unless the runtime is declared.
TRAIN = """\
import torch
import torch.nn as nn
model = nn.Linear(4, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
if args.resume:
    init = torch.load("/ckpt/last.pt")
    opt.load_state_dict(init["optimizer"])
torch.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, "/ckpt/last.pt")
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    enter_project(tmp_path, monkeypatch)
    (tmp_path / "train.py").write_text(TRAIN)
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(cli, ["check", "--no-cache", "--output-format", "concise", *args], catch_exceptions=False)


def marked(output: str):
    return sorted(re.findall(r": (CKPT\d+) \[\*\]", output))


def test_only_fixes_that_fix_applies_are_marked(project) -> None:
    result = run("train.py")
    assert marked(result.output) == ["CKPT201"]
    assert result.output.splitlines()[-2:] == [
        "[*] 1 fixable with the `--fix` option (2 hidden fixes can be enabled with the `--unsafe-fixes` option).",
        "1 of the hidden fixes is unsafe only because the project does not declare the runtime companion: "
        "declare `runtime = true` in [tool.ckptlint] to make these safe.",
    ]


def test_the_mark_count_is_what_fix_fixes(project) -> None:
    promised = len(marked(run("train.py").output))
    fixed = run("train.py", "--fix")
    assert re.search(r"\((\d+) fixed, ", fixed.output).group(1) == str(promised)


def test_declaring_the_runtime_makes_its_fixes_safe(project) -> None:
    (project / "pyproject.toml").write_text("[tool.ckptlint]\nruntime = true\n")
    result = run("train.py")
    assert marked(result.output) == ["CKPT104", "CKPT201"]
    assert result.output.splitlines()[-1] == (
        "[*] 2 fixable with the `--fix` option (1 hidden fix can be enabled with the `--unsafe-fixes` option)."
    )


def test_with_unsafe_fixes_every_fix_is_marked_and_none_hidden(project) -> None:
    result = run("train.py", "--unsafe-fixes")
    assert marked(result.output) == ["CKPT104", "CKPT201", "CKPT202"]
    assert result.output.splitlines()[-1] == "[*] 3 fixable with the `--fix` option."


def test_only_unsafe_fixes_left(project) -> None:
    run("train.py", "--fix")
    result = run("train.py")
    assert marked(result.output) == []
    assert "No fixes available (2 hidden fixes can be enabled with the `--unsafe-fixes` option)." in result.output


def test_statistics_mark_the_same_rules(project) -> None:
    lines = run("train.py", "--statistics").output.splitlines()
    assert [line.split()[1] for line in lines if " [*] " in line and ": " not in line] == ["CKPT201"]
