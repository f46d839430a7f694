"""The server's diagnostics are the command line's findings, for the same text.

Whatever the server does to be fast (no fixes built, superseded lints,
collection out of the lints, the project index kept between lints), a
published diagnostic is a finding `ckptlint check` reports for the same text
with the same configuration: same code, same span, same message, none more
and none less. Checked on the fixtures, a script that sees a helper module
through the project index, and a longer script with findings on non-ASCII
lines, opened and then edited.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Set, Tuple

import pytest

pytest.importorskip("pygls", reason="the `lsp` extra (pygls) is not installed")

from lsp_client import LspClient  # noqa: E402
from test_server_e2e import GUARDED, TRAIN, started  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bad"
Finding = Tuple[str, int, int, int, int, str]  # code, start row and column, end row and column (1-based code points), message


def _long_script(blocks: int = 40) -> str:
    """Loads and saves in functions, with an accent and an astral-plane emoji before each finding."""
    out = ["import os", "import torch", ""]
    for i in range(blocks):
        out += [
            f"def step_{i}(model, path):",
            f'    note = "é 😀 {i}"; state = torch.load(os.path.join(path, "ckpt_{i}.pt"))',
            '    model.load_state_dict(state["model"])',
            f'    torch.save(model.state_dict(), f"{{path}}/out_{i}.pt")',
            "    return note",
            "",
        ]
    return "\n".join(out) + "\n"


def _cli(root: Path, paths: List[Path]) -> Dict[str, Set[Finding]]:
    run = subprocess.run(
        [sys.executable, "-m", "ckptlint", "check", "--output-format", "json", "--exit-zero", *map(str, paths)],
        cwd=root, capture_output=True, text=True, timeout=120, check=True,
    )
    found: Dict[str, Set[Finding]] = {os.path.abspath(p): set() for p in paths}
    for f in json.loads(run.stdout)["findings"]:
        start, end = f["location"], f["end_location"]
        found[os.path.abspath(f["filename"])].add((f["code"], start["row"], start["column"], end["row"], end["column"], f["message"]))
    return found


def _code_points(line: str, character: int) -> int:
    """The code-point column of a UTF-16 ``character`` offset into ``line`` (0-based)."""
    units = 0
    for index, char in enumerate(line):
        if units >= character:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
    return len(line)


def _published(params: dict, text: str) -> Set[Finding]:
    lines = text.splitlines()

    def point(position: dict) -> Tuple[int, int]:
        row = position["line"]
        line = lines[row] if row < len(lines) else ""
        return row + 1, _code_points(line, position["character"]) + 1

    return {
        (d["code"], *point(d["range"]["start"]), *point(d["range"]["end"]), d["message"])
        for d in params["diagnostics"]
    }


def _settled(client: LspClient, uri: str, text: str, version: int, expected: Set[Finding]) -> Set[Finding]:
    """The diagnostics of ``version`` once they equal ``expected`` (a document linted on its own first,
    then with the project index, is published twice), checking that no later publish differs."""
    def publish(timeout: float) -> Set[Finding]:
        return _published(client.diagnostics(uri, version=version, timeout=timeout), text)

    found = publish(20)
    while found != expected:
        try:
            found = publish(20)
        except TimeoutError:
            return found  # never equal: the assertion shows the difference
    try:
        while True:
            later = publish(1.0)
            if later != expected:
                return later
    except TimeoutError:
        return found


def _open(client: LspClient, uri: str, text: str) -> None:
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}})


def test_published_diagnostics_are_the_cli_findings(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.ckptlint]\n", encoding="utf-8")
    paths = []
    for fixture in sorted(FIXTURES.glob("*.py")):
        paths.append(Path(shutil.copy(fixture, tmp_path / fixture.name)))
    (tmp_path / "utils.py").write_text(GUARDED, encoding="utf-8")
    (tmp_path / "train.py").write_text(TRAIN, encoding="utf-8")
    (tmp_path / "long.py").write_text(_long_script(), encoding="utf-8")
    paths += [tmp_path / "train.py", tmp_path / "long.py"]
    expected = _cli(tmp_path, paths)
    assert sum(map(len, expected.values())) > 100  # the comparison has findings to compare

    with started(tmp_path) as client:
        client.initialize(tmp_path.as_uri())
        for path in paths:
            text = path.read_text(encoding="utf-8")
            _open(client, path.as_uri(), text)
            assert _settled(client, path.as_uri(), text, 1, expected[str(path)]) == expected[str(path)], path.name

        # An edit in the middle of the long script, then the CLI on the edited text.
        long = tmp_path / "long.py"
        lines = long.read_text(encoding="utf-8").splitlines(keepends=True)
        edited = "".join(lines[:39]) + 'extra = torch.load("x.pt")  # 😀\n' + "".join(lines[39:])  # between two functions
        client.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": long.as_uri(), "version": 2}, "contentChanges": [{"text": edited}]},
        )
        long.write_text(edited, encoding="utf-8")
        expected_edited = _cli(tmp_path, [long])[str(long)]
        assert expected_edited != expected[str(long)]
        assert _settled(client, long.as_uri(), edited, 2, expected_edited) == expected_edited
        assert client.shutdown() == 0
