"""Each linted file uses the nearest configuration above it (#17, "Configuration"), and the
`save-functions` table syntax."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner
from support import build_model

from ckptlint.cli import cli
from ckptlint.config.errors import ConfigError
from ckptlint.config.hierarchy import Configurations
from ckptlint.config.loader import CliOptions, build_settings, load_settings
from ckptlint.config.settings import ProjectSettings, SaveFunction

# CKPT202 fires on this below torch 2.6 (weights_only defaults to True from 2.6 on); CKPT201 never.
LOAD = "import torch\nsd = torch.load('a.pt', map_location='cpu')\n"
BOTH = "import torch\nsd = torch.load('a.pt')\n"


def _findings(cwd, *args: str):
    """``{file name: [codes]}`` of a `ckptlint` run in ``cwd``."""
    before = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(
            cli, ["--output-format", "json", "--no-cache", "--exit-zero", *args], catch_exceptions=False
        )
    finally:
        os.chdir(before)
    assert result.exit_code == 0, result.output
    found: dict = {}
    for finding in json.loads(result.output)["findings"]:
        found.setdefault(os.path.basename(finding["filename"]), []).append(finding["code"])
    return found


def _project(folder, pyproject: str, name: str, code: str):
    folder.mkdir(parents=True)
    (folder / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    (folder / name).write_text(code, encoding="utf-8")
    return folder


@pytest.mark.parametrize("table", ["", "[tool.ckptlint]\n"])
def test_a_torch_2_7_project_linted_from_elsewhere_is_checked_as_torch_2_7(tmp_path, table) -> None:
    """Before: the settings came from the current directory, and the file was checked as torch 2.0."""
    project = _project(tmp_path / "proj", f"[project]\nname = 'p'\ndependencies = ['torch>=2.7']\n{table}", "train.py", LOAD)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert _findings(elsewhere, str(project / "train.py")) == {}
    assert _findings(project, "train.py") == {}
    # the same file in a project without the bound: CKPT202
    old = _project(tmp_path / "old", "[project]\nname = 'o'\ndependencies = ['torch']\n", "train.py", LOAD)
    assert _findings(elsewhere, str(old / "train.py")) == {"train.py": ["CKPT202"]}


def test_two_projects_in_one_run_each_with_its_own_settings(tmp_path) -> None:
    _project(tmp_path / "a", "[tool.ckptlint]\nignore = ['CKPT201']\n", "a.py", BOTH)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "ckptlint.toml").write_text("select = ['CKPT201']\nper-file-ignores = { 'skip/*.py' = ['CKPT2'] }\n")
    (tmp_path / "b" / "b.py").write_text(BOTH)
    (tmp_path / "b" / "skip").mkdir()
    (tmp_path / "b" / "skip" / "s.py").write_text(BOTH)
    (tmp_path / "c.py").write_text(BOTH)  # no configuration above it: the run's (the defaults)
    assert _findings(tmp_path, "a", "b", "c.py") == {"a.py": ["CKPT202"], "b.py": ["CKPT201"], "c.py": ["CKPT201", "CKPT202"]}
    # the command line's options apply on top of each file's configuration
    assert _findings(tmp_path, "a", "b", "--extend-select", "CKPT201") == {"a.py": ["CKPT201", "CKPT202"], "b.py": ["CKPT201"]}
    # a configuration imposed with --config, or none with --isolated: the same for every file
    both = ["CKPT201", "CKPT202"]
    assert _findings(tmp_path, "a", "b", "--isolated") == {"a.py": both, "b.py": both, "s.py": both}


def test_each_file_has_its_own_project_root_and_import_roots(tmp_path) -> None:
    _project(tmp_path / "a", "[tool.ckptlint]\n", "train.py", BOTH)
    (tmp_path / "a" / "src").mkdir()
    _project(tmp_path / "b", "[tool.ckptlint]\nsrc = ['lib']\n", "train.py", BOTH)
    run = load_settings(str(tmp_path))
    configurations = Configurations(run)
    a = configurations.for_path(str(tmp_path / "a" / "train.py")).project
    b = configurations.for_path(str(tmp_path / "b" / "train.py")).project
    assert (a.root, a.src) == (str(tmp_path / "a"), (str(tmp_path / "a"), str(tmp_path / "a" / "src")))
    assert (b.root, b.src) == (str(tmp_path / "b"), (str(tmp_path / "b" / "lib"),))
    assert configurations.for_path(str(tmp_path / "c.py")) is run
    # one settings object per project, read once
    assert configurations.for_path(str(tmp_path / "a" / "other.py")) is configurations.for_path(str(tmp_path / "a" / "train.py"))


def test_a_broken_configuration_of_another_project_is_an_error(tmp_path) -> None:
    _project(tmp_path / "a", "[tool.ckptlint]\nno-such-key = 1\n", "a.py", BOTH)
    result = CliRunner().invoke(cli, ["--no-cache", str(tmp_path / "a")], catch_exceptions=False)
    assert result.exit_code == 2 and "no-such-key" in result.output


def test_without_a_configuration_the_nearest_pyproject_is_the_project(tmp_path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\ndependencies = ['torch>=2.7']\n")
    sub = tmp_path / "pkg" / "sub"
    sub.mkdir(parents=True)
    settings = load_settings(str(sub))
    assert settings.root == str(tmp_path) and settings.project.target_torch_version == (2, 7)


# -- save-functions ----------------------------------------------------------------------------


def test_save_functions_accept_names_and_tables() -> None:
    table = {
        "save-functions": [
            "mypkg.io.save_ckpt",
            {"name": "mypkg.io.write_ckpt", "parameters": ["path", "state"], "obj": "state", "path": "path"},
        ]
    }
    project = build_settings(table, root=".").project
    assert project.save_functions == ("mypkg.io.save_ckpt", "mypkg.io.write_ckpt")
    assert project.save_signatures == (SaveFunction("mypkg.io.write_ckpt", ("path", "state"), "state", "path"),)


@pytest.mark.parametrize(
    "entry, message",
    [
        (3, "expected a name or a table"),
        ({"name": "f", "parameters": ["a", "b"], "obj": "a"}, "missing `path`"),
        ({"name": "f", "parameters": ["a", "b"], "obj": "a", "path": "b", "x": 1}, "unknown key `x`"),
        ({"name": "f", "parameters": ["a", "b"], "obj": "c", "path": "b"}, "`obj`: expected one of `parameters`"),
        ({"name": "f", "parameters": ["a", "b"], "obj": "a", "path": "a"}, "name the same parameter"),
        ({"name": "f", "parameters": "a", "obj": "a", "path": "b"}, "expected a list of strings"),
    ],
)
def test_save_function_tables_are_validated(entry, message) -> None:
    with pytest.raises(ConfigError, match=message):
        build_settings({"save-functions": [entry]}, root=".")


def test_a_save_function_table_binds_the_object_and_the_path_by_its_parameters() -> None:
    code = """
    import torch
    from mypkg.io import write_ckpt
    write_ckpt("last.pt", {"model": 1})
    write_ckpt(state={"model": 2}, path="best.pt")
    """
    described = SaveFunction("mypkg.io.write_ckpt", ("path", "state"), "state", "path")
    model = build_model(code, ProjectSettings(save_functions=(described.name,), save_signatures=(described,)))
    sites = [(model.code(site.obj), model.code(site.path)) for site in model.saves.sites]
    assert sites == [('{"model": 1}', '"last.pt"'), ('{"model": 2}', '"best.pt"')]
    # a name alone binds as `torch.save(obj, f)`: the path, first, is taken for the object
    by_name = build_model(code, build_settings({"save-functions": ["mypkg.io.write_ckpt"]}, root=".").project)
    assert by_name.code(by_name.saves.sites[0].obj) == '"last.pt"'


def test_cli_options_of_the_run_reach_every_project(tmp_path) -> None:
    _project(tmp_path / "a", "[tool.ckptlint]\n", "a.py", BOTH)
    configurations = Configurations(load_settings(str(tmp_path), cli=CliOptions(ignore=["CKPT202"])), CliOptions(ignore=["CKPT202"]))
    assert "CKPT202" not in configurations.for_path(str(tmp_path / "a" / "a.py")).enabled
