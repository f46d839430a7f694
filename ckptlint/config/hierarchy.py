"""Each file's configuration: the nearest one above it, as ruff resolves it.

A run starts with the settings found from the current directory (`run`).
Each linted file then uses the project it belongs to (`load_settings` from
its folder): the nearest configuration above it, or, without one, the
nearest `pyproject.toml` above it, whose declared dependencies give the
target torch version and whose folder is the project root (its `src`
roots and its index). A file with neither above it uses the run's
settings. The command line's options (`--select`, `--ignore`...) apply on
top of every file's configuration. With `--config` or `--isolated` there is
no hierarchy: every file uses the run's settings.

Configurations are read once per folder and once per project; a file in
the run's own project gets the run's settings object itself.
"""

from __future__ import annotations

import os
from typing import Dict

from ckptlint.config.loader import CliOptions, find_config, load_settings, nearest_pyproject
from ckptlint.config.settings import Settings


class Configurations:
    def __init__(self, run: Settings, cli: CliOptions = CliOptions(), hierarchical: bool = True) -> None:
        self.run = run
        self._cli = cli
        self._hierarchical = hierarchical
        self._by_folder: Dict[str, Settings] = {}
        self._by_project: Dict[str, Settings] = {os.path.abspath(run.config_path or run.root): run}

    def for_path(self, path: str) -> Settings:
        """The settings ``path`` is linted with (raises `ConfigError` for a broken configuration)."""
        if not self._hierarchical or path == "-":
            return self.run
        folder = os.path.dirname(os.path.abspath(path))
        found = self._by_folder.get(folder)
        if found is None:
            found = self._by_folder[folder] = self._resolve(folder)
        return found

    def _resolve(self, folder: str) -> Settings:
        config = find_config(folder)
        pyproject = nearest_pyproject(folder) if config is None else None
        if config is None and pyproject is None:
            return self.run
        project = os.path.abspath(config or os.path.dirname(pyproject or ""))
        found = self._by_project.get(project)
        if found is None:
            found = self._by_project[project] = load_settings(folder, cli=self._cli)
        return found

