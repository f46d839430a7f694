"""The pre-commit hook, run by the real pre-commit against this repository.

`pre-commit try-repo` clones the repository (with the working tree's tracked
changes), builds the hook's virtualenv from the package index and runs the
hook in a throw-away git repository. The hook environment must hold
ckptlint but never torch (it is only in the `runtime` extra).

try-repo keeps its store in a temporary directory (not `PRE_COMMIT_HOME`)
and deletes it on exit, so the test points `TMPDIR` into its own tmp_path
and lists the environment's site-packages once pre-commit has marked the
install complete (`.install_state_v1`), while the hook is running.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from typing import Set

import pytest

from support import REPO

SAMPLE = 'import torch\n\nstate = torch.load("model.pt")\n'
NOTEBOOK = {
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Evaluate\n"]},
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": ["import torch\n", "state = torch.load('model.pt')\n"]},
    ],
    "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
}


def _pre_commit() -> str:
    local = os.path.join(os.path.dirname(sys.executable), "pre-commit")
    found = local if os.path.isfile(local) else shutil.which("pre-commit")
    if not found:
        pytest.skip("pre-commit is not installed (it is in the `test` extra)")
    if not shutil.which("git"):
        pytest.skip("git is not installed")
    return found


def _env(home) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k != "VIRTUAL_ENV"}
    env.update(
        PRE_COMMIT_HOME=str(home),
        PRE_COMMIT_COLOR="never",
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com",
    )
    return env


def test_manifest_is_valid():
    pre_commit = _pre_commit()
    manifest = os.path.join(REPO, ".pre-commit-hooks.yaml")
    result = subprocess.run([pre_commit, "validate-manifest", manifest], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_try_repo_reports_and_installs_no_torch(tmp_path):
    pre_commit = _pre_commit()
    if not os.path.exists(os.path.join(REPO, ".git")):  # a directory, or a file in a git worktree
        pytest.skip(f"{REPO} is not a git checkout")
    work = tmp_path / "project"
    work.mkdir()
    env = _env(tmp_path / "pre-commit-home")
    temp = tmp_path / "tmp"
    temp.mkdir()
    env["TMPDIR"] = str(temp)
    subprocess.run(["git", "init", "-q", str(work)], check=True, env=env, timeout=30)
    (work / "sample.py").write_text(SAMPLE, encoding="utf-8")
    (work / "evaluate.ipynb").write_text(json.dumps(NOTEBOOK, indent=1) + "\n", encoding="utf-8")
    subprocess.run(["git", "add", "sample.py", "evaluate.ipynb"], cwd=work, check=True, env=env, timeout=30)

    installed: Set[str] = set()
    done = threading.Event()

    def watch() -> None:
        pattern = str(temp / "**" / "py_env-*")
        while not done.is_set():
            for env_dir in glob.glob(pattern, recursive=True):
                if not os.path.exists(os.path.join(env_dir, ".install_state_v1")):
                    continue
                for sp in glob.glob(os.path.join(env_dir, "lib*", "python*", "site-packages")) + glob.glob(
                    os.path.join(env_dir, "Lib", "site-packages")
                ):
                    try:
                        installed.update(name.lower() for name in os.listdir(sp))
                    except OSError:
                        pass
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    started = time.monotonic()
    try:
        result = subprocess.run(
            [pre_commit, "try-repo", REPO, "ckptlint", "--all-files"],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        done.set()
        watcher.join(5)
    output = result.stdout + result.stderr
    print(output)  # shown with -s / on failure
    print(f"pre-commit try-repo took {time.monotonic() - started:.1f} s")
    assert result.returncode == 1, output
    assert "sample.py:3:9: CKPT201" in output, output
    # the hook runs on notebooks (`types_or` has `jupyter`), cells counted as editors count them
    assert "evaluate.ipynb:cell 2:2:9: CKPT201" in output, output
    assert "ckptlint" in output and "Failed" in output

    print("hook environment site-packages:", " ".join(sorted(n for n in installed if n.endswith(".dist-info"))))
    assert installed, "did not see the hook environment's site-packages"
    assert any(name.startswith("ckptlint") for name in installed), sorted(installed)
    assert "libcst" in installed, sorted(installed)
    assert not any(name == "torch" or name.startswith("torch-") for name in installed), sorted(installed)
