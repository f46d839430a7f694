"""Hostile input to the command line and the language server: each gets a
one-line error or a normal result, never a traceback, a hang or a crash."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest
from click.testing import CliRunner

from support import enter_project

from ckptlint.cli import cli

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "lsp"))

BAD = "import torch\nsd = torch.load('a.pt')\nmodel.load_state_dict(sd)\n"
FIXED_LINE = "sd = torch.load('a.pt', map_location='cpu', weights_only=True)"  # the file's quotes


@pytest.fixture
def project(tmp_path, monkeypatch):
    return enter_project(tmp_path, monkeypatch)


def run(*args: str):
    return CliRunner().invoke(cli, ["--no-cache", *args], catch_exceptions=False)


def run_process(args, cwd, timeout=60):
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "CKPTLINT_OUTPUT_FORMAT")}
    return subprocess.run(
        [sys.executable, "-m", "ckptlint", "check", "--no-cache", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
    )


FILE_ERRORS = (": io-error: ", ": invalid-syntax: ", ": unsupported-syntax: ")


def one_error_line(output: str, path: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith(path + ":") and any(k in line for k in FILE_ERRORS)]
    assert len(lines) == 1, output
    assert "Traceback" not in output and "internal-error" not in output, output
    return lines[0]


# -- normal results ----------------------------------------------------------------


def test_empty_file(project) -> None:
    (project / "empty.py").write_bytes(b"")
    result = run("empty.py", "--fix")
    assert result.exit_code == 0 and "All checks passed!" in result.output
    assert (project / "empty.py").read_bytes() == b""


def test_only_a_bom(project) -> None:
    (project / "bom.py").write_bytes(b"\xef\xbb\xbf")
    result = run("bom.py", "--fix", "--unsafe-fixes")
    assert result.exit_code == 0 and "All checks passed!" in result.output
    assert (project / "bom.py").read_bytes() == b"\xef\xbb\xbf"


def test_bom_and_crlf_and_encoding_declaration_survive_fix(project) -> None:
    data = ("# -*- coding: latin-1 -*-\r\n" + BAD.replace("\n", "\r\n") + "# café\r\n").encode("latin-1")
    (project / "latin.py").write_bytes(data)
    (project / "bom.py").write_bytes(b"\xef\xbb\xbf" + BAD.replace("\n", "\r\n").encode() + "# café\r\n".encode())
    os.chmod(project / "latin.py", 0o751)
    assert run("latin.py", "bom.py", "--fix", "--unsafe-fixes").exit_code == 0
    latin = (project / "latin.py").read_bytes()
    assert latin.startswith(b"# -*- coding: latin-1 -*-\r\n") and latin.endswith("# café\r\n".encode("latin-1"))
    assert FIXED_LINE.encode() in latin and b"\n" not in latin.replace(b"\r\n", b"")
    assert os.stat(project / "latin.py").st_mode & 0o777 == 0o751
    bom = (project / "bom.py").read_bytes()
    assert bom.startswith(b"\xef\xbb\xbfimport torch\r\n") and FIXED_LINE.encode() + b"\r\n" in bom
    assert b"\n" not in bom.replace(b"\r\n", b"")
    assert not [p for p in os.listdir(project) if p.startswith(".ckptlint-")]  # no temp file left


def test_mixed_line_endings_keep_each_line_ending(project) -> None:
    data = b"import torch\r\nx = 1\nsd = torch.load('a.pt')\r\ny = 2\rmodel.load_state_dict(sd)\n"
    (project / "mixed.py").write_bytes(data)
    assert run("mixed.py", "--fix", "--unsafe-fixes").exit_code == 0
    after = (project / "mixed.py").read_bytes()
    assert after == data.replace(b"sd = torch.load('a.pt')", FIXED_LINE.encode())


def test_tabs_and_form_feeds(project) -> None:
    text = "import torch\n\x0c\ndef f():\n\tsd = torch.load('a.pt')\n\x0c\tif sd:\n\t\tpass\n"
    (project / "tabs.py").write_text(text)
    result = run("tabs.py", "--fix", "--unsafe-fixes")
    assert result.exit_code == 0, result.output
    assert (project / "tabs.py").read_text() == text.replace("torch.load('a.pt')", FIXED_LINE[5:])


def test_path_with_spaces_and_non_ascii(project) -> None:
    folder = project / "my dir ü"
    folder.mkdir()
    (folder / "träin script 😀.py").write_text(BAD)
    result = run("my dir ü", "--output-format", "concise")
    assert result.exit_code == 1
    assert "my dir ü/träin script 😀.py:2:6: CKPT201" in result.output
    assert run("my dir ü", "--fix", "--unsafe-fixes").exit_code == 0
    assert FIXED_LINE in (folder / "träin script 😀.py").read_text()


# -- one-line errors ---------------------------------------------------------------


def test_50_mb_file_is_refused_by_size_without_reading_it(project, monkeypatch) -> None:
    with open(project / "huge.py", "wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: costs no disk
    real_open = os.open
    opened = []

    def spy(path, *args, **kwargs):
        opened.append(os.fspath(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    start = time.monotonic()
    result = run("huge.py")
    assert time.monotonic() - start < 10
    line = one_error_line(result.output, "huge.py")
    assert "52,428,800 bytes, over the limit of 4,194,304" in line
    assert not any(p.endswith("huge.py") for p in opened)
    assert result.exit_code == 1


def test_non_utf8_bytes(project) -> None:
    (project / "latin.py").write_bytes(b"import torch\nx = '\xff\xfe'\n")
    result = run("latin.py")
    assert "not valid utf-8 (byte 0xff at offset 18)" in one_error_line(result.output, "latin.py")
    assert result.exit_code == 1


def test_unreadable_file(project) -> None:
    path = project / "secret.py"
    path.write_text(BAD)
    os.chmod(path, 0)
    if os.geteuid() != 0:
        result = run("secret.py", "--fix")
        assert "io-error: Permission denied" in one_error_line(result.output, "secret.py")
        assert result.exit_code == 1
        return
    # root reads anything: lint as an unprivileged user, as a developer would
    from support import run_as_nobody, shared_directory

    from ckptlint.api import FixMode, lint_paths
    from support import settings

    folder = shared_directory()
    try:
        secret = os.path.join(folder, "secret.py")
        with open(secret, "w") as handle:
            handle.write(BAD)
        os.chmod(secret, 0)
        config = settings(root=folder)
        lint_paths([secret], config)  # import the analysis before dropping privileges
        errors = run_as_nobody(lambda: [e.render() for e in lint_paths([secret], config, FixMode.FIX).errors])
    finally:
        import shutil

        shutil.rmtree(folder)
    assert errors == [f"{secret}: io-error: Permission denied"]


def test_symlink_loop(project) -> None:
    os.symlink("loop_b.py", project / "loop_a.py")
    os.symlink("loop_a.py", project / "loop_b.py")
    (project / "sub").mkdir()
    os.symlink("..", project / "sub" / "up")  # a directory loop: the walk must not follow it
    (project / "sub" / "ok.py").write_text(BAD)
    result = run("loop_a.py", "sub", "--output-format", "concise")
    assert "Too many levels of symbolic links" in one_error_line(result.output, "loop_a.py")
    assert "sub/ok.py:2:6: CKPT201" in result.output
    assert result.exit_code == 1


def test_file_deleted_during_the_run(project, monkeypatch) -> None:
    (project / "a.py").write_text(BAD)
    (project / "gone.py").write_text(BAD)
    from ckptlint.engine.session import pool

    real = pool.discover

    def discover_then_delete(paths, settings):
        found = real(paths, settings)
        os.unlink(project / "gone.py")
        return found

    monkeypatch.setattr(pool, "discover", discover_then_delete)
    result = run(".", "--fix", "--unsafe-fixes", "--jobs", "1")
    assert "error: no such file" in one_error_line(result.output, "gone.py")
    assert FIXED_LINE in (project / "a.py").read_text()
    assert not (project / "gone.py").exists()
    assert result.exit_code == 1


def test_file_deleted_between_read_and_write_is_not_resurrected(project, monkeypatch) -> None:
    (project / "gone.py").write_text(BAD)
    from ckptlint.engine.session import process

    real = process.process_document

    def process_then_delete(document, *args, **kwargs):
        report = real(document, *args, **kwargs)
        if os.path.exists(document.path):
            os.unlink(document.path)
        return report

    monkeypatch.setattr(process, "process_document", process_then_delete)
    result = run("gone.py", "--fix", "--unsafe-fixes")
    assert "cannot write fixes" in one_error_line(result.output, "gone.py")
    assert not (project / "gone.py").exists()


def test_file_edited_between_read_and_write_is_not_overwritten(project, monkeypatch) -> None:
    (project / "edited.py").write_text(BAD)
    from ckptlint.engine.session import process

    real = process.process_document
    edited = []

    def process_then_edit(document, *args, **kwargs):
        report = real(document, *args, **kwargs)
        if not edited:  # the user saves once, while the first lint runs
            edited.append(document.path)
            with open(document.path, "a") as handle:
                handle.write("# the user's newer edit\n")
        return report

    monkeypatch.setattr(process, "process_document", process_then_edit)
    result = run("edited.py", "--fix", "--unsafe-fixes")
    assert "changed while it was linted" in one_error_line(result.output, "edited.py")
    assert (project / "edited.py").read_text() == BAD + "# the user's newer edit\n"


# -- deep nesting: a real process, so a native stack overflow would show as a signal --

DEEP = {
    "brackets": lambda n: "x = " + "(" * n + "1" + ")" * n + "\n",
    "not": lambda n: "x = " + "not " * n + "a\n",
    "minus": lambda n: "x = " + "- " * n + "a\n",
    "lambda": lambda n: "f = " + "lambda: " * n + "0\n",
    "subscript": lambda n: "x = a" + "[0]" * n + "\n",
    "attribute": lambda n: "x = a" + ".b" * n + "\n",
    "if-else": lambda n: "x = " + "a if b else " * n + "c\n",
    "indent": lambda n: "".join(" " * i + "if x:\n" for i in range(n // 10)) + " " * (n // 10) + "pass\n",
    "and": lambda n: "x = " + "a and " * n + "a\n",
    "elif": lambda n: "if a: pass\n" + "elif a: pass\n" * n,
    "binop": lambda n: "x = " + "a + " * n + "a\n",
}


@pytest.mark.parametrize("kind", sorted(DEEP))
def test_10000_deep_nesting_gets_a_one_line_error(project, kind) -> None:
    (project / "deep.py").write_text("import torch\ntorch.load('a.pt')\n" + DEEP[kind](10_000))
    result = run_process(["deep.py", "--fix"], project, timeout=60)
    assert result.returncode == 1, (result.returncode, result.stderr[-500:])
    line = one_error_line(result.stdout + result.stderr, "deep.py")
    assert ": invalid-syntax: " in line or ": unsupported-syntax: " in line


# -- the language server -------------------------------------------------------------


def test_lsp_change_for_a_document_never_opened(tmp_path) -> None:
    from lsp_client import LspClient

    (tmp_path / "pyproject.toml").write_text("[tool.ckptlint]\n", encoding="utf-8")
    lsp = LspClient(cwd=str(tmp_path))
    killer = threading.Timer(60, lsp.proc.kill)
    killer.start()
    try:
        lsp.initialize(tmp_path.as_uri())
        ghost = (tmp_path / "never_opened.py").as_uri()
        lsp.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": ghost, "version": 2},
                "contentChanges": [
                    {"range": {"start": {"line": 5, "character": 3}, "end": {"line": 9, "character": 0}}, "text": "x"}
                ],
            },
        )
        lsp.notify("textDocument/didChange", {"textDocument": {"uri": ghost, "version": 3}, "contentChanges": [{"text": BAD}]})
        lsp.notify("textDocument/didClose", {"textDocument": {"uri": ghost}})
        uri = (tmp_path / "a.py").as_uri()
        lsp.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": BAD}},
        )
        assert [d["code"] for d in lsp.diagnostics(uri, version=1, timeout=20)["diagnostics"]] == ["CKPT201", "CKPT202"]
        deep = (tmp_path / "deep.py").as_uri()
        lsp.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": deep, "languageId": "python", "version": 1, "text": BAD + DEEP["not"](10_000)}},
        )
        assert lsp.diagnostics(deep, version=1, timeout=30)["diagnostics"] == []
        assert lsp.shutdown() == 0
    finally:
        killer.cancel()
        lsp.close()
