"""Fixtures for the ckptlint.runtime tests (helpers live in rt_procs.py)."""

from __future__ import annotations

import os
import sys
from typing import Callable, Optional

import pytest

# rt_procs sits next to this file; make it importable whatever the import mode.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from rt_procs import finish, start_script


@pytest.fixture(autouse=True)
def _no_forced_unsafe_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", raising=False)


@pytest.fixture
def run_script() -> Callable[..., tuple[int, str]]:
    def run(script: str, *args: str, timeout: float = 120, env: Optional[dict[str, str]] = None):
        return finish(start_script(script, *args, env=env), timeout)
    return run


