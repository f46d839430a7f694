"""Reading and writing files safely (#22 items 1, 4 and 5): nothing that is not a
regular file is read (nor waited on), `--fix` writes in place and only where
the user may write, and what the summary counts is what was written."""

from __future__ import annotations

import errno
import os
import shutil
import socket
import stat
import subprocess
import sys

import pytest
from click.testing import CliRunner

from ckptlint.cli import cli
from support import enter_project, run_as_nobody, settings, shared_directory

BAD = "import torch\nsd = torch.load('a.pt')\nmodel.load_state_dict(sd)\n"
FIXED = BAD.replace("torch.load('a.pt')", "torch.load('a.pt', map_location='cpu')")


@pytest.fixture
def project(tmp_path, monkeypatch):
    return enter_project(tmp_path, monkeypatch)


def run(*args: str):
    return CliRunner().invoke(cli, ["check", "--no-cache", "--output-format", "concise", *args], catch_exceptions=False)


def run_process(args, cwd, timeout=30):
    """A real process: a blocking open would hang it, and the timeout fails the test."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "CKPTLINT_OUTPUT_FORMAT")}
    return subprocess.run(
        [sys.executable, "-m", "ckptlint", "check", "--no-cache", "--output-format", "concise", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
    )


# -- #22 item 1: only regular files are read ------------------------------------------


def test_a_fifo_named_or_found_is_refused_in_one_line_without_blocking(project) -> None:
    (project / "pkg").mkdir()
    os.mkfifo(project / "pipe.py")
    os.mkfifo(project / "pkg" / "walked.py")
    (project / "pkg" / "ok.py").write_text(BAD)
    result = run_process(["pipe.py", "pkg"], project)
    lines = result.stdout.splitlines()
    assert "pipe.py: io-error: not a regular file: a named pipe (FIFO)" in lines
    assert "pkg/walked.py: io-error: not a regular file: a named pipe (FIFO)" in lines
    assert "pkg/ok.py:2:6: CKPT201 [*] `torch.load` without `map_location`" in lines
    assert result.returncode == 1 and "Traceback" not in result.stderr


def test_sockets_and_devices_are_refused_too(project) -> None:
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(project / "sock.py"))
        os.symlink(os.devnull, project / "null.py")  # a character device behind a `.py` name
        result = run_process(["sock.py", "null.py"], project)
    finally:
        server.close()
    lines = result.stdout.splitlines()
    assert "sock.py: io-error: not a regular file: a socket" in lines
    assert "null.py: io-error: not a regular file: a character device" in lines
    assert result.returncode == 1


# -- #22 item 4: --fix writes in place -------------------------------------------------


def test_fix_keeps_the_inode_permissions_hard_links_and_extended_attributes(project) -> None:
    (project / "train.py").write_text(BAD)
    os.chmod(project / "train.py", 0o751)
    os.link(project / "train.py", project / "also_train.py")
    try:
        os.setxattr(project / "train.py", "user.origin", b"kept")
        has_xattr = True
    except OSError as exc:
        if exc.errno not in (errno.ENOTSUP, errno.EPERM):
            raise
        has_xattr = False
    before = os.stat(project / "train.py")
    result = run(".", "--fix")
    assert result.output.count("CKPT202") == 1  # the hard link is one file, reported once
    after = os.stat(project / "train.py")
    assert (after.st_ino, after.st_nlink, after.st_uid, stat.S_IMODE(after.st_mode)) == (before.st_ino, 2, before.st_uid, 0o751)
    assert (project / "also_train.py").read_text() == FIXED == (project / "train.py").read_text()
    if has_xattr:
        assert os.getxattr(project / "train.py", "user.origin") == b"kept"
    assert sorted(os.listdir(project)) == ["also_train.py", "pyproject.toml", "train.py"]  # no temporary file


def _fix_as_nobody(folder: str, name: str):
    from ckptlint.api import FixMode, lint_paths

    path = os.path.join(folder, name)
    config = settings(root=folder)
    lint_paths([path], config)  # import the analysis while the interpreter's files are readable

    def fix():
        report = lint_paths([path], config, FixMode.FIX)
        return [e.render() for e in report.errors], report.fixed

    return run_as_nobody(fix)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to create files owned by someone else")
@pytest.mark.parametrize("case", ["read-only file of the user", "root's file in the user's folder"])
def test_fix_refuses_a_file_the_user_may_not_write(case) -> None:
    """The old temp-file-and-rename replaced both (needing only the folder to be
    writable): the 0444 file became writable, root's file became the user's."""
    nobody = 65534
    folder = shared_directory(owner=nobody)
    try:
        path = os.path.join(folder, "train.py")
        with open(path, "w") as handle:
            handle.write(BAD)
        if case == "read-only file of the user":
            os.chown(path, nobody, nobody)
            os.chmod(path, 0o444)
        else:
            os.chmod(path, 0o644)  # root's
        before = os.stat(path)
        errors, fixed = _fix_as_nobody(folder, "train.py")
        after = os.stat(path)
        with open(path) as handle:
            assert handle.read() == BAD
    finally:
        shutil.rmtree(folder)
    assert errors == [f"{path}: io-error: cannot write fixes: Permission denied"] and fixed == 0
    assert (after.st_ino, after.st_uid, after.st_mode) == (before.st_ino, before.st_uid, before.st_mode)


def test_a_write_that_fails_part_way_puts_the_original_back(project, monkeypatch) -> None:
    from ckptlint.engine.source import read_source, write_source

    (project / "train.py").write_text(BAD)
    source = read_source(str(project / "train.py"), 10**6)
    real = os.pwrite
    calls = []

    def disk_full(fd, data, offset):
        calls.append(len(data))
        if len(calls) == 1:
            real(fd, bytes(data[:10]), offset)
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, data, offset)

    monkeypatch.setattr(os, "pwrite", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_source(source, FIXED + "# much longer now\n" * 100)
    assert (project / "train.py").read_text() == BAD


# -- #22 item 5: the summary counts what was written, warnings, links -------------------


def test_an_edit_race_leaves_the_file_alone_and_is_not_counted(project, monkeypatch) -> None:
    from ckptlint.engine import fixer

    (project / "train.py").write_text(BAD)
    real = fixer.fix_text

    def the_user_saves_meanwhile(text, path, *args, **kwargs):
        outcome = real(text, path, *args, **kwargs)
        with open(path, "a") as handle:  # after the file was read, before it is written
            handle.write("# the user's edit\n")
        return outcome

    monkeypatch.setattr(fixer, "fix_text", the_user_saves_meanwhile)
    result = run("train.py", "--fix", "--show-fixes")
    assert (project / "train.py").read_text() == BAD + "# the user's edit\n"
    assert "fixed" not in result.output.lower()  # neither "Fixed 1 finding" nor "(1 fixed, ...)"
    assert "train.py: io-error: cannot write fixes: the file changed while it was linted" in result.output
    assert "train.py:2:6: CKPT201 [*]" in result.output  # still there, still fixable
    assert result.output.splitlines()[-3] == "Found 2 findings."


def test_syntax_warnings_of_internal_compiles_never_reach_the_user(project) -> None:
    (project / "train.py").write_text(BAD + "flag = 0\nif flag is 1:\n    pass\n")
    result = run_process(["train.py", "--fix"], project)
    assert "SyntaxWarning" not in result.stderr + result.stdout, result.stderr
    assert (project / "train.py").read_text().startswith(FIXED)


def test_a_symlinked_file_is_reported_once(project) -> None:
    (project / "src").mkdir()
    (project / "src" / "train.py").write_text(BAD)
    os.symlink("train.py", project / "src" / "link.py")
    os.symlink(os.path.join("src", "train.py"), project / "top_link.py")
    result = run(".", "top_link.py", "src/link.py")
    findings = [line for line in result.output.splitlines() if ": CKPT" in line]
    assert findings == [
        "src/train.py:2:6: CKPT201 [*] `torch.load` without `map_location`",
        "src/train.py:2:6: CKPT202 `torch.load` without `weights_only=True` can run code from the file",
    ]
    fixed = run(".", "--fix")
    assert "1 fixed" in fixed.output and (project / "src" / "train.py").read_text() == FIXED
    assert os.path.islink(project / "src" / "link.py")  # still a link: written through, never replaced
