"""Configuration: every key, selection semantics, and errors that name the culprit."""

from __future__ import annotations

import pytest
from support import codes, settings

from ckptlint.config.errors import ConfigError
from ckptlint.config.loader import CliOptions, load_settings
from ckptlint.config.selectors import SelectionLayer, Selector, resolve
from ckptlint.rules.base import Rule


class _On(Rule):
    code, name, message = "CKPT401", "rule-on", "m"


class _OptIn(Rule):
    code, name, message, opt_in = "CKPT404", "rule-opt-in", "m", True


class _Other(Rule):
    code, name, message = "CKPT201", "other", "m"


FAKE = (_On, _OptIn, _Other)


def sel(*texts: str):
    return tuple(Selector(t) for t in texts)


def test_defaults_leave_opt_in_rules_off() -> None:
    assert resolve([], FAKE) == {"CKPT401", "CKPT201"}


@pytest.mark.parametrize(
    "layer, expected",
    [
        (SelectionLayer(select=sel("CKPT4")), {"CKPT401"}),  # a prefix never enables opt-in
        (SelectionLayer(select=sel("CKPT404")), {"CKPT404"}),
        (SelectionLayer(select=sel("rule-opt-in")), {"CKPT404"}),
        (SelectionLayer(select=sel("ALL")), {"CKPT401", "CKPT404", "CKPT201"}),
        (SelectionLayer(extend_select=sel("CKPT404")), {"CKPT401", "CKPT404", "CKPT201"}),
        (SelectionLayer(ignore=sel("CKPT4")), {"CKPT201"}),
        (SelectionLayer(select=sel("CKPT4"), ignore=sel("CKPT401")), set()),
        (SelectionLayer(select=sel("CKPT401"), ignore=sel("CKPT4")), {"CKPT401"}),  # more specific wins
        (SelectionLayer(select=sel("ALL"), ignore=sel("rule-on")), {"CKPT404", "CKPT201"}),
    ],
)
def test_selection(layer: SelectionLayer, expected: set) -> None:
    assert resolve([layer], FAKE) == expected


def test_cli_select_replaces_config_select_and_ignores_add() -> None:
    config = SelectionLayer(select=sel("CKPT2"))
    cli = SelectionLayer(select=sel("CKPT4"))
    assert resolve([config, cli], FAKE) == {"CKPT401"}
    assert resolve([config, SelectionLayer(extend_select=sel("CKPT401"))], FAKE) == {"CKPT201", "CKPT401"}
    assert resolve([config, SelectionLayer(ignore=sel("CKPT201"))], FAKE) == set()


def write(tmp_path, body: str, name: str = "pyproject.toml") -> str:
    (tmp_path / name).write_text(body)
    return str(tmp_path)


def test_every_key_is_accepted(tmp_path) -> None:
    root = write(
        tmp_path,
        """
[tool.ckptlint]
select = ["CKPT2"]
extend-select = ["CKPT201"]
ignore = ["load-without-weights-only"]
per-file-ignores = {"tests/*.py" = ["CKPT201"]}
exclude = ["old"]
extend-exclude = ["gen"]
respect-gitignore = false
force-exclude = true
max-file-size = 1000
runtime = true
target-torch-version = "2.6"
rank-guards = ["is_rank_zero"]
save-functions = ["mypkg.io.save_ckpt"]
load-functions = ["mypkg.io.load_ckpt"]
optimizer-classes = ["mypkg.optim.Lion"]
model-classes = ["mypkg.nets.Net"]
""",
    )
    s = load_settings(root)
    # "CKPT2" selects every loading rule but the ignored CKPT202 (more may be added).
    assert "CKPT201" in s.enabled and "CKPT202" not in s.enabled
    assert all(code.startswith("CKPT2") for code in s.enabled)
    assert s.exclude == ("old",) and s.extend_exclude == ("gen",)
    assert not s.respect_gitignore and s.force_exclude and s.max_file_size == 1000
    assert s.per_file_ignores[0].pattern == "tests/*.py" and s.per_file_ignores[0].codes == {"CKPT201"}
    p = s.project
    assert p.runtime_available and p.target_torch_version == (2, 6)
    assert p.rank_guards == ("is_rank_zero",) and p.save_functions == ("mypkg.io.save_ckpt",)
    assert p.load_functions == ("mypkg.io.load_ckpt",)
    assert p.optimizer_classes == ("mypkg.optim.Lion",) and p.model_classes == ("mypkg.nets.Net",)


@pytest.mark.parametrize(
    "body, message",
    [
        ("[tool.ckptlint]\nselectt = ['CKPT2']\n", "unknown key `selectt`"),
        ("[tool.ckptlint]\nselect = ['CKPT999']\n", "unknown rule selector `CKPT999`"),
        ("[tool.ckptlint]\nignore = ['no-such-rule']\n", "unknown rule selector `no-such-rule`"),
        ("[tool.ckptlint]\nruntime = 'yes'\n", "`runtime`: expected true or false"),
        ("[tool.ckptlint]\ntarget-torch-version = 'latest'\n", "not a version"),
        ("[tool.ckptlint]\nmax-file-size = -1\n", "positive integer"),
        ("[tool.ckptlint\n", "invalid TOML"),
    ],
)
def test_errors_name_the_culprit(tmp_path, body: str, message: str) -> None:
    root = write(tmp_path, body)
    with pytest.raises(ConfigError, match=message):
        load_settings(root)


def test_nearest_config_wins_and_sets_the_root(tmp_path) -> None:
    write(tmp_path, "[tool.ckptlint]\nselect = ['CKPT202']\n")
    sub = tmp_path / "sub"
    sub.mkdir()
    assert load_settings(str(sub)).enabled == {"CKPT202"}
    assert load_settings(str(sub)).root == str(tmp_path)
    write(sub, "select = ['CKPT201']\n", name="ckptlint.toml")
    assert load_settings(str(sub)).enabled == {"CKPT201"}


def test_pyproject_without_table_is_skipped(tmp_path) -> None:
    write(tmp_path, "[tool.ckptlint]\nselect = ['CKPT202']\n")
    sub = tmp_path / "pkg"
    sub.mkdir()
    write(sub, "[project]\nname = 'pkg'\n")
    assert load_settings(str(sub)).enabled == {"CKPT202"}


def test_config_flag_and_isolated(tmp_path) -> None:
    write(tmp_path, "[tool.ckptlint]\nselect = ['CKPT202']\n")
    other = tmp_path / "other.toml"
    other.write_text("select = ['CKPT201']\n")
    assert load_settings(str(tmp_path), config_path=str(other)).enabled == {"CKPT201"}
    from ckptlint.rules.registry import RULES  # the default set grows with the catalog

    assert load_settings(str(tmp_path), isolated=True).enabled == {r.code for r in RULES if not r.opt_in}
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_settings(str(tmp_path), config_path=str(tmp_path / "missing.toml"))


def test_cli_options_layer_on_top(tmp_path) -> None:
    write(tmp_path, "[tool.ckptlint]\nselect = ['CKPT202']\n")
    assert load_settings(str(tmp_path), cli=CliOptions(select=["CKPT201"])).enabled == {"CKPT201"}
    assert load_settings(str(tmp_path), cli=CliOptions(ignore=["CKPT202"])).enabled == set()
    with pytest.raises(ConfigError, match="--select: unknown rule selector `XYZ`"):
        load_settings(str(tmp_path), cli=CliOptions(select=["XYZ"]))


def test_per_file_ignores_apply_by_glob() -> None:
    table = {"per-file-ignores": {"tests/*.py": ["CKPT201"], "legacy.py": ["CKPT2"]}}
    code = "import torch\ntorch.load('a')\n"
    assert codes(code, table=table, path="tests/test_x.py") == ["CKPT202"]
    assert codes(code, table=table, path="pkg/legacy.py") == []
    assert codes(code, table=table, path="train.py") == ["CKPT201", "CKPT202"]


def test_target_version_and_runtime_change_behaviour() -> None:
    code = "import torch\ntorch.load('a', map_location='cpu')\n"
    assert codes(code) == ["CKPT202"]
    assert codes(code, table={"target-torch-version": "2.6"}) == []
    assert settings({"runtime": True}).project.runtime_available
