"""The command line as users meet it: exit codes, formats, stdin, fixes, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from support import enter_project

from ckptlint.cli import cli

BAD = "import torch\nsd = torch.load('a.pt')\nmodel.load_state_dict(sd)\n"
CLEAN = "import torch\nsd = torch.load('a.pt', map_location='cpu', weights_only=True)\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    return enter_project(tmp_path, monkeypatch)


def run(*args: str, input: bytes | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def test_clean_exit_0(project) -> None:
    (project / "a.py").write_text(CLEAN)
    result = run("a.py")
    assert result.exit_code == 0 and "All checks passed!" in result.output


def test_findings_exit_1_concise_format(project) -> None:
    (project / "a.py").write_text(BAD)
    result = run("a.py")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "a.py:2:6: CKPT201 [*] `torch.load` without `map_location`"
    assert lines[1].startswith("a.py:2:6: CKPT202 `torch.load`")  # its fix is unsafe: no [*]
    assert "Found 2 findings." in result.output


def test_check_subcommand_is_the_same_as_the_bare_form(project) -> None:
    (project / "a.py").write_text(BAD)
    assert run("check", "a.py").output == run("a.py").output


def test_default_path_is_the_current_directory(project) -> None:
    (project / "a.py").write_text(BAD)
    assert run().exit_code == 1


def test_exit_zero_and_exit_non_zero_on_fix(project) -> None:
    (project / "a.py").write_text(BAD)
    assert run("a.py", "--exit-zero").exit_code == 0
    (project / "b.py").write_text("import torch\nm.load_state_dict(torch.load('b', weights_only=True))\n")
    assert run("b.py", "--fix").exit_code == 0
    (project / "b.py").write_text("import torch\nm.load_state_dict(torch.load('b', weights_only=True))\n")
    assert run("b.py", "--fix", "--exit-non-zero-on-fix").exit_code == 1


def test_usage_and_config_errors_exit_2(project) -> None:
    assert run("--no-such-option").exit_code == 2
    assert run("--select", "CKPT999", ".").exit_code == 2
    (project / "pyproject.toml").write_text("[tool.ckptlint]\nfoo = 1\n")
    result = run(".")
    assert result.exit_code == 2
    assert "unknown key `foo`" in result.output and len(result.output.strip().splitlines()) == 1


def test_internal_error_exits_2_and_other_files_are_linted(project, monkeypatch) -> None:
    from ckptlint.rules.loading import ckpt202_load_without_weights_only as module

    def explode(self, call, ctx):
        raise RuntimeError("bug")

    monkeypatch.setattr(module.LoadWithoutWeightsOnly, "check_call", explode)
    (project / "a.py").write_text(BAD)
    result = run("a.py")
    assert result.exit_code == 2
    assert "a.py:2: internal-error: rule CKPT202 (load-without-weights-only) failed: RuntimeError: bug" in result.output
    assert "CKPT201" in result.output


def test_bad_files_among_good_ones(project) -> None:
    (project / "good.py").write_text(BAD)
    (project / "syntax.py").write_text("import torch\ntorch.load('a')\ndef f(:\n")
    (project / "latin.py").write_bytes(b"x = '\xe9'\n")
    (project / "deep.py").write_text("import torch\nx = torch.load" + "(" * 5000 + ")" * 5000 + "\n")
    result = run("good.py", "syntax.py", "latin.py", "deep.py", "missing.py")
    assert result.exit_code == 1
    out = result.output
    assert "syntax.py:3:7: invalid-syntax: invalid syntax" in out  # Python's position and words
    assert "latin.py: io-error: not valid utf-8 (byte 0xe9 at offset 5)" in out
    assert "deep.py:2:" in out and "invalid-syntax: too many nested parentheses" in out
    assert "missing.py: io-error: no such file" in out
    assert "good.py:2:6: CKPT201" in out


def test_json_output(project) -> None:
    (project / "a.py").write_text(BAD)
    result = run("a.py", "--output-format", "json")
    assert result.exit_code == 1
    items = json.loads(result.output)["findings"]
    first = items[0]
    assert set(first) >= {"code", "name", "message", "filename", "location", "end_location", "fix"}
    assert first["code"] == "CKPT201" and first["name"] == "load-without-map-location"
    assert first["location"] == {"row": 2, "column": 6} and first["end_location"] == {"row": 2, "column": 24}
    assert first["fix"]["applicability"] == "safe"
    assert first["fix"]["edits"] == [
        {"content": ", map_location='cpu'", "location": {"row": 2, "column": 23}, "end_location": {"row": 2, "column": 23}, "cell": None}
    ]
    assert items[1]["fix"]["applicability"] == "unsafe"


def test_output_format_from_environment(project, monkeypatch) -> None:
    (project / "a.py").write_text(BAD)
    monkeypatch.setenv("CKPTLINT_OUTPUT_FORMAT", "json")
    assert json.loads(run("a.py").output)["findings"][0]["code"] == "CKPT201"


def test_select_ignore_from_the_command_line(project) -> None:
    (project / "a.py").write_text(BAD)
    assert "CKPT202" not in run("a.py", "--select", "load-without-map-location").output
    assert "CKPT201" not in run("a.py", "--ignore", "CKPT201").output
    assert "CKPT202" in run("a.py", "--select", "CKPT201", "--extend-select", "CKPT202").output
    assert run("a.py", "--select", "CKPT2", "--ignore", "CKPT201,CKPT202").exit_code == 0
    # the more specific selector wins, as in ruff
    assert run("a.py", "--select", "CKPT201", "--ignore", "CKPT2").exit_code == 1


def test_statistics(project) -> None:
    (project / "a.py").write_text(BAD + BAD)
    result = run("a.py", "--statistics")
    assert "    2  CKPT201  [*] load-without-map-location" in result.output


def test_fix_and_diff(project) -> None:
    (project / "a.py").write_text(BAD)
    diff = run("a.py", "--diff")
    assert diff.exit_code == 1
    assert "-sd = torch.load('a.pt')\n+sd = torch.load('a.pt', map_location='cpu')\n" in diff.output
    assert (project / "a.py").read_text() == BAD  # --diff writes nothing
    fixed = run("a.py", "--fix")
    assert (project / "a.py").read_text() == BAD.replace("'a.pt')", "'a.pt', map_location='cpu')")
    assert fixed.exit_code == 1  # CKPT202 remains (its fix is unsafe)
    assert "1 fixed, 1 remaining" in fixed.output
    before = (project / "a.py").read_text()
    run("a.py", "--fix")
    assert (project / "a.py").read_text() == before  # idempotent
    assert run("a.py", "--fix", "--unsafe-fixes").exit_code == 0
    assert run("a.py", "--diff").exit_code == 0


def test_stdin_with_and_without_fix(project) -> None:
    result = run("-", "--stdin-filename", "pkg/train.py", input=BAD.encode())
    assert result.exit_code == 1 and result.output.startswith("pkg/train.py:2:6: CKPT201")
    result = CliRunner().invoke(cli, ["-", "--fix", "--stdin-filename", "t.py"], input=BAD.encode())
    assert result.stdout.startswith(BAD.replace("'a.pt')", "'a.pt', map_location='cpu')"))


def test_rule_subcommand_and_a_folder_named_rule(project) -> None:
    (project / "rule").mkdir()
    (project / "rule" / "x.py").write_text(BAD)
    doc = run("rule", "CKPT201")
    assert doc.exit_code == 0 and doc.output.startswith("# CKPT201 load-without-map-location")
    assert run("rule", "load-without-weights-only").output.startswith("# CKPT202")
    assert run("rule", "nope").exit_code == 2
    assert "CKPT201  load-without-map-location" in run("rule", "--all").output
    linted = run("./rule")
    assert linted.exit_code == 1 and "x.py:2:6: CKPT201" in linted.output


def test_version() -> None:
    from ckptlint import __version__

    assert run("--version").output.strip() == f"ckptlint {__version__}"


def _subprocess(args, cwd, env_extra=None, input=None):
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "CKPTLINT_OUTPUT_FORMAT")}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "ckptlint", *args], cwd=cwd, env=env, capture_output=True, input=input, timeout=60
    )


def test_real_process_exit_codes_and_no_ansi_when_piped(project) -> None:
    (project / "a.py").write_text(BAD)
    (project / "ok.py").write_text(CLEAN)
    result = _subprocess(["a.py"], project)
    assert result.returncode == 1
    assert b"\x1b[" not in result.stdout + result.stderr  # not a TTY: no colour
    assert _subprocess(["ok.py"], project).returncode == 0
    assert _subprocess(["--bogus"], project).returncode == 2
    fixed = _subprocess(["-", "--fix"], project, input=BAD.encode())
    assert fixed.stdout.decode().startswith("import torch\nsd = torch.load('a.pt', map_location='cpu')")
    assert b"CKPT202" in fixed.stderr


def test_color_only_on_a_tty_and_never_with_no_color(monkeypatch) -> None:
    from ckptlint.cli.output import use_color

    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_color(Tty())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color(Tty())
    monkeypatch.delenv("NO_COLOR")
    assert not use_color(open(os.devnull, "w"))


def test_a_missing_dependency_is_one_clear_line(tmp_path) -> None:
    (tmp_path / "pkg").mkdir()  # walking a folder matches exclude patterns: pathspec's job
    (tmp_path / "pkg" / "train.py").write_text("x = 1\n")
    code = (
        "import sys\nsys.modules['pathspec'] = None\n"
        "from ckptlint.cli import main\nmain(['.'])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "a dependency is missing" in lines[0] and "pathspec" in lines[0]


# The program ends as `main` does, and then leaves what the run kept alive out of the collections
# Python runs at exit (`cli.run`); a caller of `main` in its own process keeps its collector.
PROGRAM = (
    "import gc, sys\n"
    "from ckptlint.cli import main, run\n"
    "try:\n    main(['a.py', '--no-cache'])\nexcept SystemExit as exit:\n"
    "    print('MAIN', exit.code, gc.get_freeze_count())\n"
    "sys.argv = ['ckptlint', 'a.py', '--no-cache']\n"
    "try:\n    run()\nexcept SystemExit as exit:\n"
    "    print('RUN', exit.code, gc.get_freeze_count() > 0)\n"
)


def test_the_program_exits_as_main_does_and_leaves_its_objects_to_the_system(tmp_path) -> None:
    (tmp_path / "a.py").write_text(BAD)
    result = subprocess.run([sys.executable, "-c", PROGRAM], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    lines = [line for line in result.stdout.splitlines() if line.startswith(("MAIN", "RUN"))]
    assert lines == ["MAIN 1 0", "RUN 1 True"], result.stdout + result.stderr


def test_the_console_script_and_python_dash_m_are_the_program() -> None:
    import tomllib

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(root, "pyproject.toml"), "rb") as handle:
        assert tomllib.load(handle)["project"]["scripts"]["ckptlint"] == "ckptlint.cli:run"
    with open(os.path.join(root, "ckptlint", "__main__.py"), encoding="utf-8") as handle:
        assert "    run()\n" in handle.read()
