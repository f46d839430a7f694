"""Lazy access to torch (required) and numpy (optional).

``import ckptlint.runtime`` must work in an environment without torch (the
linter is installed without it), so no module of this package imports torch at
import time. Every function that needs torch calls :func:`require_torch`, which
raises an :class:`ImportError` telling the user how to get it.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Optional

INSTALL_HINT = "pip install 'ckptlint[runtime]'"


def require_torch() -> ModuleType:
    """Return the ``torch`` module, or raise ImportError naming the extra to install."""
    try:
        return importlib.import_module("torch")
    except ImportError as exc:
        raise ImportError(
            f"ckptlint.runtime needs PyTorch, which is not importable ({exc}). "
            f"Install it with: {INSTALL_HINT}"
        ) from exc


def optional_numpy() -> Optional[ModuleType]:
    """Return ``numpy`` when it imports, else None (numpy is never required)."""
    try:
        return importlib.import_module("numpy")
    except ImportError:
        return None


def torch_if_loaded() -> Optional[ModuleType]:
    """Return torch if it can be imported, else None, without raising.

    Used by the rank helpers, which must answer (from the environment) even
    where torch is absent.
    """
    try:
        return importlib.import_module("torch")
    except ImportError:
        return None
