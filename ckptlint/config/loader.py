"""Finding and parsing the configuration into `Settings`.

Configuration lives in `[tool.ckptlint]` of a `pyproject.toml`, or at the top
level of a `ckptlint.toml` / `.ckptlint.toml`. The nearest one above the
starting directory wins and its directory is the project root; without one,
the nearest `pyproject.toml` above it (a project that declares its
dependencies but does not configure ckptlint) is the project. Unknown keys,
wrong types and unknown rule selectors are errors that name the culprit.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Tuple

from ckptlint.config.errors import ConfigError
from ckptlint.config.project import declared_dependencies, parse_torch_version
from ckptlint.config.selectors import (
    SelectionLayer,
    codes_matching,
    parse_selectors,
    resolve,
)
from ckptlint.config.settings import (
    DEFAULT_EXCLUDE,
    OLDEST_SUPPORTED_TORCH,
    PerFileIgnore,
    ProjectSettings,
    SaveFunction,
    Settings,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_FILES = (".ckptlint.toml", "ckptlint.toml", "pyproject.toml")


def _str_list(value: Any, where: str) -> Tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of strings")
    return tuple(value)


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true or false")
    return value


def _positive_int(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ConfigError(f"{where}: expected a positive integer")
    return value


def _version(value: Any, where: str) -> Tuple[int, int]:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a version string such as \"2.6\"")
    return parse_torch_version(value, where)


def _per_file_ignores(value: Any, where: str) -> Dict[str, Tuple[str, ...]]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a table of glob = [codes]")
    return {pattern: _str_list(codes, f"{where}.\"{pattern}\"") for pattern, codes in value.items()}


_SAVE_FUNCTION_KEYS = ("name", "parameters", "obj", "path")


def _save_functions(value: Any, where: str) -> Tuple[SaveFunction, ...]:
    """Names (called with `torch.save`'s signature) or tables that list the helper's parameters
    in order and name its object and path parameters."""
    if not isinstance(value, list):
        raise ConfigError(f"{where}: expected a list of names and {{ name = ..., parameters = [...], obj = ..., path = ... }} tables")
    return tuple(_save_function(entry, f"{where}[{index}]") for index, entry in enumerate(value))


def _save_function(entry: Any, where: str) -> SaveFunction:
    if isinstance(entry, str):
        return SaveFunction(entry)
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a name or a table")
    unknown = sorted(set(entry) - set(_SAVE_FUNCTION_KEYS))
    missing = [key for key in _SAVE_FUNCTION_KEYS if key not in entry]
    if unknown or missing:
        problem = f"unknown key `{unknown[0]}`" if unknown else f"missing `{missing[0]}`"
        raise ConfigError(f"{where}: {problem} (a table has {', '.join(_SAVE_FUNCTION_KEYS)})")
    name = entry["name"]
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{where}: `name`: expected a qualified name")
    parameters = _str_list(entry["parameters"], f"{where}: `parameters`")
    for key in ("obj", "path"):
        if entry[key] not in parameters:
            raise ConfigError(f"{where}: `{key}`: expected one of `parameters` ({', '.join(parameters)})")
    if entry["obj"] == entry["path"]:
        raise ConfigError(f"{where}: `obj` and `path` name the same parameter")
    return SaveFunction(name, parameters, entry["obj"], entry["path"])


KEYS: Dict[str, Callable[[Any, str], Any]] = {
    "select": _str_list,
    "extend-select": _str_list,
    "ignore": _str_list,
    "per-file-ignores": _per_file_ignores,
    "exclude": _str_list,
    "extend-exclude": _str_list,
    "respect-gitignore": _bool,
    "force-exclude": _bool,
    "max-file-size": _positive_int,
    "runtime": _bool,
    "target-torch-version": _version,
    "rank-guards": _str_list,
    "save-functions": _save_functions,
    "load-functions": _str_list,
    "optimizer-classes": _str_list,
    "model-classes": _str_list,
    "src": _str_list,
}


def validate_table(table: Mapping[str, Any], where: str) -> Dict[str, Any]:
    """Check every key and value; return them converted."""
    values: Dict[str, Any] = {}
    for key, raw in table.items():
        convert = KEYS.get(key)
        if convert is None:
            raise ConfigError(f"{where}: unknown key `{key}`")
        values[key] = convert(raw, f"{where}: `{key}`")
    return values


@dataclass(frozen=True)
class CliOptions:
    """Command-line options that override or extend the configuration."""

    select: Optional[Sequence[str]] = None
    extend_select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    force_exclude: Optional[bool] = None


def _read_toml(path: str) -> Dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def _table_of(path: str, document: Mapping[str, Any]) -> Optional[Mapping[str, Any]]:
    if os.path.basename(path) == "pyproject.toml":
        tool = document.get("tool")
        table = tool.get("ckptlint") if isinstance(tool, dict) else None
        return table if isinstance(table, dict) else None
    return document


def find_config(start: str) -> Optional[str]:
    """The nearest configuration file at or above ``start``."""
    directory = os.path.abspath(start)
    while True:
        for name in CONFIG_FILES:
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate):
                if name != "pyproject.toml" or _table_of(candidate, _read_toml(candidate)) is not None:
                    return candidate
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def nearest_pyproject(start: str) -> Optional[str]:
    """The nearest `pyproject.toml` at or above ``start``, configured or not."""
    directory = os.path.abspath(start)
    while True:
        candidate = os.path.join(directory, "pyproject.toml")
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def _project_pyproject(root: str) -> Mapping[str, Any]:
    path = os.path.join(root, "pyproject.toml")
    return _read_toml(path) if os.path.isfile(path) else {}


def build_settings(
    table: Mapping[str, Any],
    *,
    root: str,
    where: str = "[tool.ckptlint]",
    config_path: Optional[str] = None,
    pyproject: Optional[Mapping[str, Any]] = None,
    cli: CliOptions = CliOptions(),
) -> Settings:
    """Settings from a `[tool.ckptlint]` table (already read) and CLI options."""
    values = validate_table(table, where)
    layers = [
        SelectionLayer(
            select=parse_selectors(values["select"], f"{where}: `select`") if "select" in values else None,
            extend_select=parse_selectors(values.get("extend-select", ()), f"{where}: `extend-select`"),
            ignore=parse_selectors(values.get("ignore", ()), f"{where}: `ignore`"),
        ),
        SelectionLayer(
            select=parse_selectors(cli.select, "--select") if cli.select is not None else None,
            extend_select=parse_selectors(cli.extend_select, "--extend-select"),
            ignore=parse_selectors(cli.ignore, "--ignore"),
        ),
    ]
    per_file = tuple(
        PerFileIgnore(pattern, codes_matching(parse_selectors(codes, f"{where}: `per-file-ignores`")))
        for pattern, codes in values.get("per-file-ignores", {}).items()
    )
    declared = declared_dependencies(pyproject or {})
    project = ProjectSettings(
        runtime_available=values.get("runtime", declared.runtime_declared),
        target_torch_version=values.get(
            "target-torch-version", declared.torch_lower_bound or OLDEST_SUPPORTED_TORCH
        ),
        rank_guards=values.get("rank-guards", ()),
        save_functions=tuple(entry.name for entry in values.get("save-functions", ())),
        save_signatures=tuple(entry for entry in values.get("save-functions", ()) if entry.parameters),
        load_functions=values.get("load-functions", ()),
        optimizer_classes=values.get("optimizer-classes", ()),
        model_classes=values.get("model-classes", ()),
        root=os.path.abspath(root),
        src=import_roots(root, values.get("src")),
    )
    force_exclude = values.get("force-exclude", False) if cli.force_exclude is None else cli.force_exclude
    settings = Settings(
        root=root,
        config_path=config_path,
        enabled=resolve(layers),
        per_file_ignores=per_file,
        exclude=values.get("exclude", DEFAULT_EXCLUDE),
        extend_exclude=values.get("extend-exclude", ()),
        respect_gitignore=values.get("respect-gitignore", True),
        force_exclude=force_exclude,
        project=project,
    )
    if "max-file-size" in values:
        settings = replace(settings, max_file_size=values["max-file-size"])
    return settings


def import_roots(root: str, src: Optional[Sequence[str]]) -> Tuple[str, ...]:
    """The project's import roots (the catalog's "The program"): `src` relative to ``root``;
    by default the root itself and its `src/` folder where it exists."""
    if src is None:
        src = [".", "src"] if os.path.isdir(os.path.join(root, "src")) else ["."]
    return tuple(os.path.normpath(os.path.join(os.path.abspath(root), folder)) for folder in src)


def load_settings(
    start: str = ".",
    *,
    config_path: Optional[str] = None,
    isolated: bool = False,
    cli: CliOptions = CliOptions(),
) -> Settings:
    """Find, read and validate the configuration for a run started in ``start``."""
    if isolated:
        return build_settings({}, root=os.path.abspath(start), cli=cli)
    path = config_path or find_config(start)
    if path is None:
        pyproject = nearest_pyproject(start)
        root = os.path.dirname(pyproject) if pyproject is not None else os.path.abspath(start)
        return build_settings({}, root=root, pyproject=_project_pyproject(root), cli=cli)
    if config_path is not None and not os.path.isfile(config_path):
        raise ConfigError(f"{config_path}: no such configuration file")
    document = _read_toml(path)
    table = _table_of(path, document) or {}
    root = os.path.dirname(os.path.abspath(path))
    where = f"{path}: [tool.ckptlint]" if os.path.basename(path) == "pyproject.toml" else path
    pyproject = document if os.path.basename(path) == "pyproject.toml" else _project_pyproject(root)
    return build_settings(table, root=root, where=where, config_path=path, pyproject=pyproject, cli=cli)
