"""Fixtures for the `ckptlint inspect` tests (builders live in inspect_support.py).

``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` is removed for every test: with it set, a
default ``torch.load`` accepts pickles that ``weights_only=True`` refuses, and
the safety assertions would prove nothing.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Callable, Dict, Tuple

import pytest

pytest.importorskip("torch")

# inspect_support sits next to this file; make it importable whatever the import mode.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from click.testing import CliRunner  # noqa: E402
from inspect_support import make_model, trained  # noqa: E402

from ckptlint.cli import cli  # noqa: E402


@pytest.fixture(autouse=True)
def _no_forced_unsafe_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", raising=False)


@pytest.fixture
def model() -> Any:
    return make_model()


@pytest.fixture
def optimizer(model: Any) -> Any:
    import torch

    return trained(model, torch.optim.AdamW(model.parameters(), lr=1e-3))


@pytest.fixture
def run_inspect() -> Callable[..., Tuple[int, str]]:
    """``ckptlint inspect ARGS`` in-process: (exit code, stdout)."""

    def run(*args: Any) -> Tuple[int, str]:
        result = CliRunner().invoke(cli, ["inspect", *map(str, args)], catch_exceptions=False)
        return result.exit_code, result.stdout

    return run


@pytest.fixture
def inspect_json(run_inspect: Callable[..., Tuple[int, str]]) -> Callable[..., Tuple[int, Dict[str, Any]]]:
    """``ckptlint inspect --format json ARGS``: (exit code, the parsed document)."""

    def run(*args: Any) -> Tuple[int, Dict[str, Any]]:
        code, out = run_inspect("--format", "json", *args)
        return code, json.loads(out)

    return run
