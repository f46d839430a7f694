"""`--output-format github`, read back by a port of the Actions runner's parser."""

from __future__ import annotations

import os
from typing import Dict, Optional, Tuple

from click.testing import CliRunner

from ckptlint.cli import cli
from ckptlint.diagnostics import Diagnostic, Span
from ckptlint.reporters.github import format_annotation

SAMPLE = 'import torch\nname = "é"; state = torch.load("model.pt")\n'


def _unescape(value: str, mappings) -> str:
    for token, replacement in mappings:
        value = value.replace(replacement, token)
    return value


# actions/runner src/Runner.Common/ActionCommand.cs: the order in which it unescapes.
_DATA = [("\r", "%0D"), ("\n", "%0A"), ("%", "%25")]
_PROPERTY = [("\r", "%0D"), ("\n", "%0A"), (":", "%3A"), (",", "%2C"), ("%", "%25")]


def parse_command(line: str) -> Optional[Tuple[str, Dict[str, str], str]]:
    """ActionCommand.TryParseV2: `::name k=v,k=v::data`."""
    message = line.lstrip()
    if not message.startswith("::"):
        return None
    end = message.find("::", 2)
    if end < 0:
        return None
    info = message[2:end]
    space = info.find(" ")
    name = info if space < 0 else info[:space]
    properties: Dict[str, str] = {}
    if space > 0:
        for prop in [p for p in info[space + 1 :].strip().split(",") if p]:
            pair = [part for part in prop.split("=", 1) if part]  # RemoveEmptyEntries
            if len(pair) == 2:
                properties[pair[0]] = _unescape(pair[1], _PROPERTY)
    return name, properties, _unescape(message[end + 2 :], _DATA)


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
