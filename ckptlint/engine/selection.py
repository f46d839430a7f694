"""Which rules run on which file (selection and `per-file-ignores`)."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import TYPE_CHECKING, FrozenSet, List, Type

from ckptlint.config.settings import Settings
from ckptlint.rules.info import RuleInfo
from ckptlint.rules.metadata import RULES as RULE_INFOS

if TYPE_CHECKING:
    import pathspec

    from ckptlint.rules.base import Rule


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
def _spec(pattern: str) -> "pathspec.PathSpec":
    import pathspec  # only projects with per-file-ignores pay for it

    return pathspec.GitIgnoreSpec.from_lines([pattern])


def _ignored_codes(path: str, settings: Settings) -> FrozenSet[str]:
    ignored: FrozenSet[str] = frozenset()
    if settings.per_file_ignores and path != "-":
        relative = relative_to_root(path, settings.root)
        for entry in settings.per_file_ignores:
            if _spec(entry.pattern).match_file(relative):
                ignored |= entry.codes
    return ignored


def infos_for(path: str, settings: Settings) -> List[RuleInfo]:
    """Metadata of the enabled rules for ``path`` (imports no rule)."""
    ignored = _ignored_codes(path, settings)
    return [info for info in RULE_INFOS if info.code in settings.enabled and info.code not in ignored]


def rules_for(path: str, settings: Settings) -> "List[Type[Rule]]":
    """The enabled rule classes for ``path``, in registry order."""
    from ckptlint.rules.registry import RULES  # the analysis path: rules and libcst

    ignored = _ignored_codes(path, settings)
    return [rule for rule in RULES if rule.code in settings.enabled and rule.code not in ignored]
