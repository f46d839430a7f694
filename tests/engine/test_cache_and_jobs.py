"""The result cache never serves a stale result, and output never depends on --jobs."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from click.testing import CliRunner
from support import FIXTURES, settings

from ckptlint.api import FixMode, lint_paths
from ckptlint.engine.session import process
from ckptlint.cli import cli
from ckptlint.engine import cache as cache_module

BAD = "import torch\nsd = torch.load('a.pt')\nmodel.load_state_dict(sd)\n"


@pytest.fixture
def tree(tmp_path):
    for index in range(10):
        # every file needs analysis (the pre-filter must not decide these tests)
        clean = "import torch\nsd = torch.load('a.pt', map_location='cpu', weights_only=True)\n"
        (tmp_path / f"f{index}.py").write_text(BAD if index % 2 else clean)
    return tmp_path


@pytest.fixture
def spy(monkeypatch):
    """Counts the files that were really linted (not served from the cache)."""
    calls = []

    def counting(analyse):
        def counted(text, path, *args, **kwargs):
            calls.append(path)
            return analyse(text, path, *args, **kwargs)

        return counted

    monkeypatch.setattr(process, "lint_source", counting(process.lint_source))
    monkeypatch.setattr(process, "fix_source", counting(process.fix_source))
    return calls


def _as_data(report):
    return [(d.path, d.code, d.span, d.message, d.fix) for d in report.diagnostics]


def test_cached_and_uncached_runs_are_identical(tree, tmp_path_factory, spy) -> None:
    config = settings(root=str(tree))
    cache_dir = str(tmp_path_factory.mktemp("cache"))
    uncached = lint_paths([str(tree)], config)
    first = lint_paths([str(tree)], config, cache_dir=cache_dir)
    linted = len(spy)
    second = lint_paths([str(tree)], config, cache_dir=cache_dir)
    assert len(spy) == linted  # the second run was served entirely from the cache
    assert _as_data(uncached) == _as_data(first) == _as_data(second)


def test_a_changed_file_is_linted_again(tree, tmp_path_factory, spy) -> None:
    config = settings(root=str(tree))
    cache_dir = str(tmp_path_factory.mktemp("cache"))
    lint_paths([str(tree)], config, cache_dir=cache_dir)
    spy.clear()
    (tree / "f0.py").write_text(BAD)
    report = lint_paths([str(tree)], config, cache_dir=cache_dir)
    assert spy == [os.path.normpath(str(tree / "f0.py"))]
    assert any(d.path.endswith("f0.py") for d in report.diagnostics)


def test_a_changed_configuration_invalidates(tree, tmp_path_factory, spy) -> None:
    cache_dir = str(tmp_path_factory.mktemp("cache"))
    lint_paths([str(tree)], settings(root=str(tree)), cache_dir=cache_dir)
    spy.clear()
    report = lint_paths([str(tree)], settings({"ignore": ["CKPT201"]}, root=str(tree)), cache_dir=cache_dir)
    assert len(spy) == 10
    assert {d.code for d in report.diagnostics} == {"CKPT202"}


def test_a_changed_version_or_linter_code_invalidates(tree, tmp_path_factory, spy, monkeypatch) -> None:
    config = settings(root=str(tree))
    cache_dir = str(tmp_path_factory.mktemp("cache"))
    lint_paths([str(tree)], config, cache_dir=cache_dir)
    spy.clear()
    monkeypatch.setattr(cache_module, "__version__", "99.0")
    lint_paths([str(tree)], config, cache_dir=cache_dir)
    assert len(spy) == 10
    spy.clear()
    monkeypatch.setattr(cache_module, "code_fingerprint", lambda: "edited rules")
    lint_paths([str(tree)], config, cache_dir=cache_dir)
    assert len(spy) == 10


def test_settings_fingerprint_is_stable_across_processes() -> None:
    import subprocess
    import sys

    code = (
        "from ckptlint.config.loader import build_settings\n"
        "from ckptlint.engine.cache import settings_fingerprint\n"
        "print(settings_fingerprint(build_settings({'select': ['ALL']}, root='/x')))"
    )
    seen = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2", "3")
    }
    assert len(seen) == 1


def test_corrupt_cache_entry_is_a_miss(tree, tmp_path_factory) -> None:
    config = settings(root=str(tree))
    cache_dir = str(tmp_path_factory.mktemp("cache"))
    expected = _as_data(lint_paths([str(tree)], config, cache_dir=cache_dir))
    for directory, _, files in os.walk(cache_dir):
        for name in files:
            if name.endswith(".json"):
                with open(os.path.join(directory, name), "w") as handle:
                    handle.write("{not json")
    assert _as_data(lint_paths([str(tree)], config, cache_dir=cache_dir)) == expected


def test_fix_mode_never_uses_the_cache(tree, tmp_path_factory, spy) -> None:
    config = settings(root=str(tree))
    cache_dir = str(tmp_path_factory.mktemp("cache"))
    lint_paths([str(tree)], config, cache_dir=cache_dir)
    spy.clear()
    lint_paths([str(tree)], config, FixMode.FIX, cache_dir=cache_dir)
    assert len(spy) == 10


def test_workers_start_only_when_the_time_left_pays_for_them() -> None:
    from ckptlint.engine.session.pool import POOL_PAYS_SECONDS, PROBE_SECONDS, pool_pays

    assert not pool_pays(PROBE_SECONDS / 2, 1000, 10**9)  # not measured long enough yet
    assert not pool_pays(PROBE_SECONDS, 1000, int(1000 * (POOL_PAYS_SECONDS / PROBE_SECONDS) * 0.9))
    assert pool_pays(PROBE_SECONDS, 1000, int(1000 * (POOL_PAYS_SECONDS / PROBE_SECONDS) * 1.1))
    assert not pool_pays(PROBE_SECONDS, 0, 10**9)


@pytest.mark.parametrize("pool", ["never", "after the first file"])
def test_jobs_1_and_2_give_identical_output(tmp_path, monkeypatch, pool) -> None:
    """Whether the workers start or not."""
    from ckptlint.engine.session import pool as pool_module

    monkeypatch.setattr(pool_module, "pool_pays", lambda *args: pool != "never")
    shutil.copytree(FIXTURES, tmp_path / "fixtures")
    for index in range(12):
        (tmp_path / "fixtures" / f"extra{index}.py").write_text(BAD)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    outputs = [
        runner.invoke(cli, ["fixtures", "--select", "ALL", "--no-cache", "--output-format", "json", "--jobs", jobs]).output
        for jobs in ("1", "2")
    ]
    assert json.loads(outputs[0]) and outputs[0] == outputs[1]
    concise = [
        runner.invoke(cli, ["fixtures", "--select", "ALL", "--no-cache", "--jobs", jobs]).output for jobs in ("1", "2")
    ]
    assert concise[0] == concise[1]


def test_cache_dir_is_tagged_and_ignored_by_git(tree, tmp_path_factory) -> None:
    cache_dir = tmp_path_factory.mktemp("cache")
    lint_paths([str(tree)], settings(root=str(tree)), cache_dir=str(cache_dir))
    assert (cache_dir / "CACHEDIR.TAG").exists() and (cache_dir / ".gitignore").read_text() == "*\n"


def test_an_entry_keeps_what_the_lint_read_relative_to_the_file_and_under_one_digest(tmp_path) -> None:
    project = tmp_path / "project"
    train = str(project / "scripts" / "train.py")
    reads = {
        str(project / "pkg" / "utils.py"): "d1",
        str(project / "scripts" / "helpers.py"): "d2",
        str(project / "pkg") + os.sep: "listing",  # a folder an import looked in
    }
    cache = cache_module.ResultCache(str(tmp_path / "cache"), settings())
    cache.store("k" * 64, train, [], [], reads)
    with open(cache._entry("k" * 64), encoding="utf-8") as handle:
        stored = json.load(handle)["reads"]
    assert stored["files"] == [os.path.join("..", "pkg") + os.sep, os.path.join("..", "pkg", "utils.py"), "helpers.py"]
    assert set(stored) == {"files", "digest"}
    assert cache.load("k" * 64, train, reads.get) == ([], [])
    changed = {**reads, str(project / "pkg" / "utils.py"): "d3"}
    assert cache.load("k" * 64, train, changed.get) is None
    assert cache.load("k" * 64, train, None) is None  # nothing to tell whether they changed
