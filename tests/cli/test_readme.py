"""The README's setup snippets promise only what the versions they name can do (#20 items 7 and 9).

No editor runs here; what can be checked is that the snippets avoid APIs
newer than the minimum they state, that every `rev:` they show exists, and
that the configuration keys they document say what they mean.
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest
import yaml

from support import REPO

with open(os.path.join(REPO, "README.md"), encoding="utf-8") as _handle:
    README = _handle.read()


def _section(title: str) -> str:
    start = README.index(f"## {title}")
    end = README.find("\n## ", start + 1)
    return README[start : end if end >= 0 else len(README)]


def _blocks(text: str, language: str):
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def test_the_neovim_snippet_needs_nothing_newer_than_the_08_it_names() -> None:
    editors = _section("Editors (language server)")
    assert "**Neovim** 0.8 or later" in editors
    (snippet,) = _blocks(editors, "lua")
    # vim.fs.root: 0.10; vim.lsp.config / vim.lsp.enable: 0.11; vim.iter: 0.10
    for newer in ("vim.fs.root", "vim.lsp.config", "vim.lsp.enable", "vim.iter", "vim.system"):
        assert newer not in snippet
    assert "vim.lsp.start(" in snippet and "vim.fs.find(" in snippet  # both arrived in 0.8


def test_every_editor_snippet_names_its_minimum_version() -> None:
    editors = _section("Editors (language server)")
    for editor in ("VS Code", "Neovim", "Helix"):
        assert re.search(rf"\*\*{editor}\*\* [0-9.]+ or later", editors), editor


def test_pre_commit_revs_shown_exist() -> None:
    precommit = _section("pre-commit")
    (snippet,) = _blocks(precommit, "yaml")
    (repo,) = yaml.safe_load(snippet)["repos"]
    rev = str(repo["rev"])
    tags = subprocess.run(["git", "-C", REPO, "tag"], capture_output=True, text=True).stdout.split()
    # a placeholder commit SHA, or a tag that exists: never a made-up release tag
    assert re.fullmatch(r"[0-9a-f]{40}", rev) or rev in tags, rev
    assert "v0.1.0" not in README or "v0.1.0" in tags


def test_save_functions_say_which_argument_is_the_object_and_which_the_path() -> None:
    config = _section("Configuration")
    assert "torch.save(obj, f)" in config and "the object saved is the first" in config
    tables = [block for block in _blocks(config, "toml") if "save-functions = [\n" in block]
    (table,) = tables
    import tomllib

    (_, described), = [(k, v) for k, v in tomllib.loads(table).items()]
    helper = described[1]
    assert set(helper) == {"name", "parameters", "obj", "path"}
    assert helper["obj"] in helper["parameters"] and helper["path"] in helper["parameters"]


@pytest.mark.parametrize("hook", ["ckptlint", "ckptlint-fix"])
def test_hooks_run_on_notebooks(hook) -> None:
    with open(os.path.join(REPO, ".pre-commit-hooks.yaml"), encoding="utf-8") as handle:
        hooks = {entry["id"]: entry for entry in yaml.safe_load(handle)}
    assert "jupyter" in hooks[hook]["types_or"]
