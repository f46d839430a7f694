"""Which rules run on which file (selection and `per-file-ignores`)."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import List, Tuple, Type

import pathspec

from ckptlint.config.settings import Settings
from ckptlint.rules.base import Rule
from ckptlint.rules.registry import RULES


def relative_to_root(path: str, root: str) -> str:
    """``path`` relative to the project root, `/`-separated (as given when outside it)."""
    absolute = os.path.abspath(path)
    try:
        inside = os.path.commonpath([absolute, root]) == root
    except ValueError:  # different drives
        inside = False
    relative = os.path.relpath(absolute, root) if inside else os.path.normpath(path)
    return relative.replace(os.sep, "/")


@lru_cache(maxsize=256)
def _spec(pattern: str) -> pathspec.PathSpec:
    return pathspec.GitIgnoreSpec.from_lines([pattern])


def rules_for(path: str, settings: Settings) -> List[Type[Rule]]:
    """The enabled rules for ``path``, in registry order."""
    ignored = set()
    if settings.per_file_ignores and path != "-":
        relative = relative_to_root(path, settings.root)
        for entry in settings.per_file_ignores:
            if _spec(entry.pattern).match_file(relative):
                ignored |= entry.codes
    return [rule for rule in RULES if rule.code in settings.enabled and rule.code not in ignored]


def enabled_rules(settings: Settings) -> Tuple[Type[Rule], ...]:
    return tuple(rule for rule in RULES if rule.code in settings.enabled)
