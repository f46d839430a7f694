"""Fixtures for the `ckptlint migrate` tests (builders live in migrate_support.py).

``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` is removed for every test: with it set, a
default ``torch.load`` accepts pickles that ``weights_only=True`` refuses, and
the assertions that migrated files load with ``weights_only=True`` would prove
nothing.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Tuple

import pytest

pytest.importorskip("torch")

# migrate_support sits next to this file, old_formats (the writer of earlier ckptlint
# formats) in tests/runtime; make both importable whatever the import mode.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(os.path.dirname(HERE), "runtime")]

from click.testing import CliRunner  # noqa: E402

from ckptlint.cli import cli  # noqa: E402


@pytest.fixture(autouse=True)
def _no_forced_unsafe_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", raising=False)


def _invoke(command: str) -> Callable[..., Tuple[int, str]]:
    def run(*args: Any) -> Tuple[int, str]:
        result = CliRunner().invoke(cli, [command, *map(str, args)], catch_exceptions=False)
        return result.exit_code, result.output
    return run


@pytest.fixture
def run_migrate() -> Callable[..., Tuple[int, str]]:
    """``ckptlint migrate ARGS`` in-process: (exit code, output)."""
    return _invoke("migrate")


@pytest.fixture
def run_inspect() -> Callable[..., Tuple[int, str]]:
    return _invoke("inspect")
