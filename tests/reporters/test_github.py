"""`--output-format github`, read back by a port of the Actions runner's parser."""

from __future__ import annotations

import os

from click.testing import CliRunner

from support import parse_command

from ckptlint.cli import cli
from ckptlint.diagnostics import Diagnostic, Span
from ckptlint.reporters.github import format_annotation

SAMPLE = 'import torch\nname = "é"; state = torch.load("model.pt")\n'


def _run(args, cwd, env=None):
    runner = CliRunner()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return runner.invoke(cli, args, env=env or {}, catch_exceptions=False)
    finally:
        os.chdir(old)


def test_weird_file_name_round_trips(tmp_path):
    sub = tmp_path / "src"
    sub.mkdir()
    weird = sub / "we,ird:100%.py"
    weird.write_text(SAMPLE, encoding="utf-8")
    result = _run(["check", "--output-format", "github", str(weird)], tmp_path, {"GITHUB_WORKSPACE": str(tmp_path)})
    assert result.exit_code == 1, result.output
    commands = [parse_command(line) for line in result.output.splitlines()]
    commands = [c for c in commands if c is not None]
    assert [c[1]["title"] for c in commands] == [
        "ckptlint (CKPT201 load-without-map-location)",
        "ckptlint (CKPT202 load-without-weights-only)",
    ]
    for name, props, data in commands:
        assert name == "error"
        assert props["file"] == "src/we,ird:100%.py"
        # `state = torch.load(...)` starts after a non-ASCII character: code-point columns.
        line = SAMPLE.splitlines()[1]
        start = line.index("torch.load") + 1
        end = start + len('torch.load("model.pt")')
        assert (props["line"], props["col"], props["endLine"], props["endColumn"]) == ("2", str(start), "2", str(end))
    assert commands[0][2] == "`torch.load` without `map_location`"


def test_relative_to_cwd_without_workspace_and_env_var(tmp_path, monkeypatch):
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text(SAMPLE, encoding="utf-8")
    result = _run(["pkg"], tmp_path, {"CKPTLINT_OUTPUT_FORMAT": "github"})
    parsed = [parse_command(line) for line in result.output.splitlines() if line.startswith("::")]
    assert parsed and all(props["file"] == "pkg/a.py" for _, props, _ in parsed)


def test_escaping_matches_the_runner():
    message = "50% of\r\nall: saves, lost :: here"
    path = os.path.join(os.getcwd(), "dir", "a,b:c%d.py")
    diagnostic = Diagnostic(
        path=path,
        code="CKPT201",
        name="load-without-map-location",
        message=message,
        span=Span(3, 5, 4, 1, 0, 0),
        noqa_line=3,
    )
    line = format_annotation(diagnostic, os.getcwd())
    assert "\n" not in line and "\r" not in line
    name, props, data = parse_command(line)
    assert name == "error"
    assert props["file"] == "dir/a,b:c%d.py"
    assert data == message
    assert props == {
        "file": "dir/a,b:c%d.py",
        "line": "3",
        "col": "5",
        "endLine": "4",
        "endColumn": "1",
        "title": "ckptlint (CKPT201 load-without-map-location)",
    }


def test_a_file_that_does_not_parse_is_annotated_at_pythons_position(tmp_path):
    """#20 item 1: the annotation had no `line=`, and the position was libcst's (3:1, 3:4)."""
    (tmp_path / "bad, name.py").write_text("import torch\ndef f(:\n    return torch.load('a')\n", encoding="utf-8")
    (tmp_path / "gone.py").write_bytes(b"x = '\xff'\n")
    result = _run(["check", "--output-format", "github", "bad, name.py", "gone.py"], tmp_path, {"GITHUB_WORKSPACE": str(tmp_path)})
    assert result.exit_code == 1
    commands = [parse_command(line) for line in result.stdout.splitlines() if line.startswith("::")]
    assert commands == [
        ("error", {"file": "bad, name.py", "line": "2", "col": "7", "title": "ckptlint (invalid-syntax)"}, "invalid syntax"),
        ("error", {"file": "gone.py", "title": "ckptlint (io-error)"}, "not valid utf-8 (byte 0xff at offset 5)"),
    ]
