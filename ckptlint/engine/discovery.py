"""Which files a run lints.

Directories give `*.py`, `*.pyi` and `*.ipynb` files; a path named on the command line
is linted whatever its extension (and even if excluded, unless
`--force-exclude`). A file reached by several names (symbolic or hard
links) is linted and reported once. Exclusion patterns use gitignore syntax and are matched
against paths relative to the project root, so a project that itself lives
under a folder called `venv` is not excluded wholesale. `.gitignore` files
at and below the root are respected.
"""

from __future__ import annotations

import os
from functools import cached_property
from typing import TYPE_CHECKING, Dict, Iterator, List, Optional, Sequence, Tuple

from ckptlint.config.settings import Settings
from ckptlint.engine.selection import relative_to_root

if TYPE_CHECKING:
    import pathspec

SOURCE_SUFFIXES = (".py", ".pyi", ".ipynb")


class _Gitignores:
    """The `.gitignore` files between the root and a directory, outermost first."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._cache: Dict[str, Optional["pathspec.PathSpec"]] = {}

    def _spec(self, directory: str) -> Optional["pathspec.PathSpec"]:
        import pathspec

        if directory not in self._cache:
            path = os.path.join(directory, ".gitignore")
            spec = None
            try:
                with open(path, encoding="utf-8", errors="replace") as handle:
                    spec = pathspec.GitIgnoreSpec.from_lines(handle)
            except OSError:
                pass
            self._cache[directory] = spec
        return self._cache[directory]

    def ignored(self, path: str, is_dir: bool) -> bool:
        absolute = os.path.abspath(path)
        directory = os.path.dirname(absolute)
        chain: List[str] = []
        while True:
            chain.append(directory)
            if directory == self.root or os.path.dirname(directory) == directory:
                break
            if os.path.commonpath([directory, self.root]) != self.root:
                return False  # outside the project: not ours to judge
            directory = os.path.dirname(directory)
        verdict = False
        for directory in reversed(chain):
            spec = self._spec(directory)
            if spec is None:
                continue
            relative = os.path.relpath(absolute, directory).replace(os.sep, "/")
            result = spec.check_file(relative + ("/" if is_dir else ""))
            if result.include is not None:
                verdict = result.include
        return verdict


class Discovery:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.gitignores = _Gitignores(settings.root) if settings.respect_gitignore else None

    @cached_property
    def excludes(self) -> "pathspec.PathSpec":
        # Imported here: a run on files named one by one (pre-commit's) never matches patterns.
        import pathspec

        return pathspec.GitIgnoreSpec.from_lines(list(self.settings.exclude) + list(self.settings.extend_exclude))

    def excluded(self, path: str, is_dir: bool) -> bool:
        relative = relative_to_root(path, self.settings.root)
        if relative in (".", ""):
            return False
        if self.excludes.match_file(relative + ("/" if is_dir else "")):
            return True
        return bool(self.gitignores and self.gitignores.ignored(path, is_dir))

    def is_excluded(self, path: str) -> bool:
        """Whether a walk of the project would skip ``path``: it, or a folder
        above it (up to the root), matches an exclude pattern or `.gitignore`.
        `--force-exclude` applies this to paths named on the command line; the
        language server applies it to every document it is asked to lint."""
        if self.excluded(path, os.path.isdir(path)):
            return True
        relative = relative_to_root(path, self.settings.root)
        parts = relative.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            folder = os.path.join(self.settings.root, *parts[:depth])
            if self.excluded(folder, True):
                return True
        return False

    def walk(self, directory: str) -> Iterator[str]:
        for current, dirnames, filenames in os.walk(directory):
            dirnames[:] = sorted(
                d for d in dirnames if not self.excluded(os.path.join(current, d), True)
            )
            for name in sorted(filenames):
                if name.endswith(SOURCE_SUFFIXES):
                    path = os.path.join(current, name)
                    if not self.excluded(path, False):
                        yield path

    def files(self, paths: Sequence[str]) -> List[str]:
        found: List[str] = []
        for path in paths:
            if path == "-":
                found.append(path)
            elif os.path.isdir(path):
                if self.settings.force_exclude and self.is_excluded(path):
                    continue
                found.extend(self.walk(path))
            elif not (self.settings.force_exclude and self.is_excluded(path)):
                found.append(path)  # missing files are reported when read
        unique = dict.fromkeys(os.path.normpath(p) if p != "-" else p for p in found)
        return _one_name_per_file(sorted(unique, key=lambda p: (p == "-", p)))


def _one_name_per_file(paths: List[str]) -> List[str]:
    """``paths`` with each file once: of the names of one file (symbolic or
    hard links), the first that is not a symbolic link is kept, else the
    first. Paths that cannot be examined stay, to be reported when read."""
    names: Dict[Tuple[int, int], List[str]] = {}
    for path in paths:
        try:
            info = os.stat(path)
        except (OSError, ValueError):
            continue
        names.setdefault((info.st_dev, info.st_ino), []).append(path)
    dropped = set()
    for group in names.values():
        if len(group) > 1:
            kept = next((p for p in group if not os.path.islink(p)), group[0])
            dropped.update(p for p in group if p != kept)
    return [path for path in paths if path not in dropped]


def discover(paths: Sequence[str], settings: Settings) -> List[str]:
    return Discovery(settings).files(paths)
