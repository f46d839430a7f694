"""`ckptlint init`: a `[tool.ckptlint]` table and a pre-commit entry, never overwriting."""

from __future__ import annotations

import tomllib

import pytest
import yaml
from click.testing import CliRunner

from support import REPO

from ckptlint.cli import cli, init as init_module
from ckptlint.links import PROJECT_URL


def _head() -> str:
    import subprocess

    return subprocess.run(["git", "-C", REPO, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _hooks(path) -> list:
    document = yaml.safe_load(path.read_text())
    return [(repo["repo"], repo.get("rev"), [h["id"] for h in repo["hooks"]]) for repo in document["repos"]]


def test_creates_both_files_in_an_empty_project(project) -> None:
    result = run("init")
    assert result.exit_code == 0
    assert result.output == "Created pyproject.toml.\nCreated .pre-commit-config.yaml.\n"
    assert tomllib.loads((project / "pyproject.toml").read_text())["tool"]["ckptlint"] == {}
    assert _hooks(project / ".pre-commit-config.yaml") == [(PROJECT_URL, _head(), ["ckptlint"])]
    # the generated table is valid configuration: the linter runs with it
    (project / "a.py").write_text("import torch\n")
    assert run("check", "a.py").exit_code == 0


def test_appends_to_existing_files_and_keeps_their_content(project) -> None:
    pyproject = '[project]\nname = "trainer"\n\n[tool.black]\nline-length = 100\n'
    precommit = (
        "repos:\n"
        "-   repo: https://github.com/psf/black\n"
        "    rev: 24.1.0\n"
        "    hooks:\n"
        "    -   id: black\n"
        "\n"
        "ci:\n"
        "    autofix_prs: false\n"
    )
    (project / "pyproject.toml").write_text(pyproject)
    (project / ".pre-commit-config.yaml").write_text(precommit)
    result = run("init")
    assert result.output == "Added ckptlint to pyproject.toml.\nAdded ckptlint to .pre-commit-config.yaml.\n"
    text = (project / "pyproject.toml").read_text()
    assert text.startswith(pyproject)
    document = tomllib.loads(text)
    assert document["tool"]["black"] == {"line-length": 100} and document["tool"]["ckptlint"] == {}
    hooks = _hooks(project / ".pre-commit-config.yaml")
    assert hooks == [
        ("https://github.com/psf/black", "24.1.0", ["black"]),
        (PROJECT_URL, _head(), ["ckptlint"]),
    ]
    assert yaml.safe_load((project / ".pre-commit-config.yaml").read_text())["ci"] == {"autofix_prs": False}


def test_never_overwrites_an_existing_configuration(project) -> None:
    pyproject = '[tool.ckptlint]\nselect = ["CKPT2"]\n'
    precommit = f"repos:\n  - repo: {PROJECT_URL}\n    rev: v0.0.9\n    hooks:\n      - id: ckptlint-fix\n"
    (project / "pyproject.toml").write_text(pyproject)
    (project / ".pre-commit-config.yaml").write_text(precommit)
    result = run("init")
    assert "pyproject.toml already configures ckptlint; left unchanged." in result.output
    assert ".pre-commit-config.yaml already configures ckptlint; left unchanged." in result.output
    assert (project / "pyproject.toml").read_text() == pyproject
    assert (project / ".pre-commit-config.yaml").read_text() == precommit


def test_second_run_changes_nothing(project) -> None:
    run("init")
    before = ((project / "pyproject.toml").read_text(), (project / ".pre-commit-config.yaml").read_text())
    run("init")
    assert before == ((project / "pyproject.toml").read_text(), (project / ".pre-commit-config.yaml").read_text())


def test_invalid_toml_is_left_alone(project) -> None:
    (project / "pyproject.toml").write_text("[tool\n")
    result = CliRunner().invoke(cli, ["init"])
    assert result.exit_code == 1 and "not valid TOML" in result.output
    assert (project / "pyproject.toml").read_text() == "[tool\n"


def test_the_rev_exists_in_the_checkout_init_runs_from(project) -> None:
    """#20 item 7: `rev: v0.1.0` was written, a tag that exists nowhere, so pre-commit failed."""
    import subprocess

    run("init")
    (_, rev, _), = _hooks(project / ".pre-commit-config.yaml")
    assert subprocess.run(["git", "-C", REPO, "cat-file", "-e", f"{rev}^{{commit}}"]).returncode == 0
    assert subprocess.run(["git", "-C", REPO, "tag", "--list", "v0.1.0"], capture_output=True, text=True).stdout == ""


def test_without_a_known_commit_the_branch_is_written_with_how_to_pin_it(project, monkeypatch) -> None:
    monkeypatch.setattr(init_module, "installed_commit", lambda: None)
    run("init")
    text = (project / ".pre-commit-config.yaml").read_text()
    assert "    rev: main  # pin it: pre-commit autoupdate --freeze\n" in text
    assert _hooks(project / ".pre-commit-config.yaml") == [(PROJECT_URL, "main", ["ckptlint"])]
