"""Frozen settings: what the engine uses, and the part rules may read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import FrozenSet, Optional, Tuple

DEFAULT_MAX_FILE_SIZE = 4 * 1024 * 1024  # bytes; larger files get a one-line error

# Like ruff's defaults, matched against paths relative to the project root;
# `build` is deliberately absent (model-building code often lives there).
DEFAULT_EXCLUDE: Tuple[str, ...] = (
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".git-rewrite",
    ".hg",
    ".ipynb_checkpoints",
    ".mypy_cache",
    ".nox",
    ".pants.d",
    ".pyenv",
    ".pytest_cache",
    ".pytype",
    ".ruff_cache",
    ".ckptlint_cache",
    ".svn",
    ".tox",
    ".venv",
    ".vscode",
    "__pycache__",
    "__pypackages__",
    "_build",
    "buck-out",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
)

OLDEST_SUPPORTED_TORCH = (2, 0)


@dataclass(frozen=True)
class SaveFunction:
    """A `save-functions` entry: a project helper that saves like `torch.save`. A name alone is
    called with `torch.save`'s signature (no ``parameters``); a table lists the helper's
    parameters in order and names the one that is the object saved and the one that is the path."""

    name: str
    parameters: Tuple[str, ...] = ()
    obj: str = "obj"
    path: str = "f"


@dataclass(frozen=True)
class ProjectSettings:
    """The settings rules read (the catalog's "Settings that rules read")."""

    runtime_available: bool = False
    target_torch_version: Tuple[int, int] = OLDEST_SUPPORTED_TORCH
    rank_guards: Tuple[str, ...] = ()
    save_functions: Tuple[str, ...] = ()  # every `save-functions` name
    save_signatures: Tuple[SaveFunction, ...] = ()  # the entries given as tables, with their parameters
    load_functions: Tuple[str, ...] = ()
    optimizer_classes: Tuple[str, ...] = ()
    model_classes: Tuple[str, ...] = ()
    # The program (revision 2): the project's folder and its import roots (absolute). Empty for a
    # text linted on its own, which then sees no other module.
    root: str = ""
    src: Tuple[str, ...] = ()


@dataclass(frozen=True)
class PerFileIgnore:
    pattern: str
    codes: FrozenSet[str]


@dataclass(frozen=True)
class Settings:
    """Everything one run needs, resolved from defaults, config and CLI."""

    root: str
    config_path: Optional[str] = None
    enabled: FrozenSet[str] = frozenset()  # rule codes
    per_file_ignores: Tuple[PerFileIgnore, ...] = ()
    exclude: Tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: Tuple[str, ...] = ()
    respect_gitignore: bool = True
    force_exclude: bool = False
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    project: ProjectSettings = field(default_factory=ProjectSettings)
