"""`--add-noqa`: a noqa on every finding's line, merged with existing ones; then a clean run."""

from __future__ import annotations

import os
import shutil

import pytest
from click.testing import CliRunner
from support import FIXTURES, dedent, enter_project

from ckptlint.cli import cli
from ckptlint.engine.suppressions.writer import add_noqa


@pytest.fixture
def project(tmp_path, monkeypatch):
    return enter_project(tmp_path, monkeypatch)


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_add_noqa_then_a_clean_second_run(project) -> None:
    for name in os.listdir(os.path.join(FIXTURES, "bad")):
        shutil.copy(os.path.join(FIXTURES, "bad", name), project / name)
    first = run("check", ".")
    assert first.exit_code == 1
    findings = len([l for l in first.stdout.splitlines() if ": CKPT" in l])
    added = run("check", ".", "--add-noqa")
    assert added.exit_code == 0, added.stderr
    assert "Added " in added.stderr
    second = run("check", ".")
    assert second.exit_code == 0, second.stdout
    assert "All checks passed!" in second.stdout
    assert findings > 5


def test_multi_line_call_gets_the_noqa_on_its_first_line(project) -> None:
    shutil.copy(os.path.join(FIXTURES, "bad", "evaluate_pretrained.py"), project / "e.py")
    run("check", "e.py", "--add-noqa")
    lines = (project / "e.py").read_text().splitlines()
    assert lines[12] == "        th.load(  # noqa: CKPT201, CKPT202"
    assert lines[13] == "            weights_path,"
    assert run("check", "e.py").exit_code == 0


def test_merges_with_an_existing_noqa_and_keeps_other_comments(project) -> None:
    (project / "a.py").write_text(
        "import torch\n"
        "a = torch.load('a')  # noqa: E501\n"
        "b = torch.load('b')  # keep me\n"
        "c = torch.load('c', weights_only=True)  # noqa: CKPT201\n"
    )
    assert run("check", "a.py", "--add-noqa").exit_code == 0
    assert (project / "a.py").read_text() == (
        "import torch\n"
        "a = torch.load('a')  # noqa: E501, CKPT201, CKPT202\n"
        "b = torch.load('b')  # keep me  # noqa: CKPT201, CKPT202\n"
        "c = torch.load('c', weights_only=True)  # noqa: CKPT201\n"
    )
    assert run("check", "a.py").exit_code == 0


def test_keeps_crlf_and_encoding(project) -> None:
    data = "# -*- coding: latin-1 -*-\r\nimport torch\r\nname = 'é'; sd = torch.load('a')\r\n".encode("latin-1")
    (project / "a.py").write_bytes(data)
    run("check", "a.py", "--add-noqa")
    assert (project / "a.py").read_bytes() == data.replace(
        b"torch.load('a')\r\n", b"torch.load('a')  # noqa: CKPT201, CKPT202\r\n"
    )


def test_line_inside_a_multiline_string_is_skipped_and_reported() -> None:
    from support import lint

    text = dedent(
        '''
        import torch
        x = f"""{torch.load(
        'a')}"""
        '''
    )
    diagnostics = lint(text)
    assert diagnostics
    result = add_noqa(text, diagnostics)
    assert result.text == text and result.added == 0
    assert result.skipped == [(2, "the line ends inside a multi-line string")]


def test_cli_reports_skipped_lines(project) -> None:
    (project / "a.py").write_text('import torch\nx = f"""{torch.load(\n\'a\')}"""\n')
    result = run("check", "a.py", "--add-noqa")
    assert "a.py:2: the line ends inside a multi-line string; no noqa added" in result.stderr
    assert result.exit_code == 1
