"""Colours, the full format and the progress bar appear on a real terminal (a pty),
and never when output is piped or `NO_COLOR` is set."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import subprocess
import sys

import pytest

from ckptlint.cli.progress import ProgressBar, wants_progress

BAD = "import torch\nsd = torch.load(\n    'a.pt',\n)\n"
CKPTLINT = [sys.executable, "-m", "ckptlint"]


def _project(tmp_path, files: int = 260):
    (tmp_path / "pyproject.toml").write_text("[tool.ckptlint]\n")
    (tmp_path / "bad.py").write_text(BAD)
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    for i in range(files):
        (pkg / f"m{i:03}.py").write_text(f"VALUE = {i}\n")
    return tmp_path


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "CKPTLINT_OUTPUT_FORMAT", "FORCE_COLOR")}
    env.update(TERM="xterm-256color", COLUMNS="100", **extra)
    return env


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)


def _run_in_pty(args, cwd, env) -> tuple:
    """Run with stdout and stderr on a pseudo-terminal; return (exit code, output)."""
    master, slave = pty.openpty()
    process = subprocess.Popen(args, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            process.kill()
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return process.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize("jobs", ["1", "4"])
def test_progress_bar_colours_and_full_output_on_a_terminal(tmp_path, jobs) -> None:
    project = _project(tmp_path)
    code, output = _run_in_pty([*CKPTLINT, "check", ".", "--no-cache", "-j", jobs], project, _env())
    assert code == 1
    assert "Linting [" in output and "261/261 files" in output
    assert "\r\x1b[2K" in output  # the bar erases itself
    assert "\x1b[" in output.replace("\r\x1b[2K", "")  # colours
    plain = _strip_ansi(output)
    assert " = why: " in plain  # the full format by default
    assert "2 | sd = torch.load(" in plain and "  |      ^^^^^^^^^^^" in plain


def test_nothing_but_plain_concise_text_when_piped(tmp_path) -> None:
    project = _project(tmp_path)
    result = subprocess.run([*CKPTLINT, "check", ".", "--no-cache"], cwd=project, env=_env(), capture_output=True, text=True)
    assert result.returncode == 1
    assert "\x1b[" not in result.stdout + result.stderr
    assert "Linting" not in result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == "bad.py:2:6: CKPT201 [*] `torch.load` without `map_location`"


def test_no_colour_and_no_progress_on_a_terminal_with_no_color(tmp_path) -> None:
    project = _project(tmp_path)
    code, output = _run_in_pty([*CKPTLINT, "check", ".", "--no-cache"], project, _env(NO_COLOR="1"))
    assert code == 1
    assert "\x1b[" not in output and "Linting" not in output
    assert " = why: " in output  # still the full format: NO_COLOR is about colour


@pytest.mark.parametrize("args", [["-q"], ["--output-format", "json"], ["--output-format", "sarif"], ["--output-format", "github"]])
def test_no_progress_with_quiet_or_machine_formats_even_on_a_terminal(tmp_path, args) -> None:
    project = _project(tmp_path)
    _, output = _run_in_pty([*CKPTLINT, "check", ".", "--no-cache", *args], project, _env())
    assert "Linting" not in output


def test_no_progress_for_a_few_files(tmp_path) -> None:
    project = _project(tmp_path, files=20)
    _, output = _run_in_pty([*CKPTLINT, "check", ".", "--no-cache"], project, _env())
    assert "Linting" not in output and " = why: " in _strip_ansi(output)


def test_wants_progress_and_bar_unit() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert not wants_progress(io.StringIO(), "full", False)
    stream = Tty()
    bar = ProgressBar(stream, threshold=2, interval=0)
    for done in range(1, 5):
        bar(done, 4)
    bar.close()
    assert "4/4 files" in stream.getvalue() and stream.getvalue().endswith("\r\x1b[2K")
