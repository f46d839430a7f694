"""Helpers shared by the tests: build settings and lint snippets in-process."""

from __future__ import annotations

import contextlib
import os
import tempfile
import textwrap
from typing import Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Type

import libcst as cst

from ckptlint.api import fix_source, lint_source
from ckptlint.config.loader import build_settings
from ckptlint.config.settings import ProjectSettings, Settings
from ckptlint.diagnostics import Diagnostic
from ckptlint.engine.fixer import FixOutcome
from ckptlint.engine.session.process import project_view
from ckptlint.rules.base import Rule
from ckptlint.semantic.model import SemanticModel

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(REPO, "fixtures")


def settings(table: Optional[Mapping[str, object]] = None, root: Optional[str] = None) -> Settings:
    return build_settings(dict(table or {}), root=root or os.getcwd())


def dedent(code: str) -> str:
    return textwrap.dedent(code).lstrip("\n")


@contextlib.contextmanager
def project(
    code: str, table: Optional[Mapping[str, object]], path: str, modules: Mapping[str, str]
) -> Iterator[Tuple[str, str, Settings, object]]:
    """``(text, path, settings, view)`` for linting ``code`` as ``path``: alone, or
    with ``modules`` (path -> source) as the other files of a temporary project,
    seen through the project index as the CLI sees them."""
    text = dedent(code)
    if not modules:
        yield text, path, settings(table), None
        return
    with tempfile.TemporaryDirectory() as root:
        for name, source in {**modules, path: code}.items():
            target = os.path.join(root, name)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "w") as handle:
                handle.write(dedent(source))
        project_settings = settings(table, root=root)
        target = os.path.join(root, path)
        yield text, target, project_settings, project_view(target, project_settings)


def lint(
    code: str,
    *,
    rules: Optional[Sequence[Type[Rule]]] = None,
    table: Optional[Mapping[str, object]] = None,
    path: str = "example.py",
    modules: Mapping[str, str] = {},
) -> List[Diagnostic]:
    with project(code, table, path, modules) as (text, target, config, view):
        outcome = lint_source(text, target, config, rules=rules, view=view)
    assert not outcome.errors, outcome.errors
    return outcome.diagnostics


def codes(code: str, **kwargs: object) -> List[str]:
    return [d.code for d in lint(code, **kwargs)]  # type: ignore[arg-type]


def fix(
    code: str,
    *,
    rules: Optional[Sequence[Type[Rule]]] = None,
    table: Optional[Mapping[str, object]] = None,
    unsafe: bool = False,
    path: str = "example.py",
    modules: Mapping[str, str] = {},
) -> FixOutcome:
    with project(code, table, path, modules) as (text, target, config, view):
        return fix_source(text, target, config, unsafe_fixes=unsafe, rules=rules, view=view)


def build_model(code: str, project: Optional[ProjectSettings] = None) -> SemanticModel:
    """The semantic model of ``code`` (dedented), as the engine builds it."""
    text = dedent(code)
    return SemanticModel(cst.parse_module(text), text, project)


NOBODY = 65534


def run_as_nobody(function, *args):
    """``function(*args)`` in a forked child that runs as the unprivileged user
    `nobody` (the suite runs as root in CI containers, and root may write
    anything); returns its result, or raises with the child's exception.
    Import what ``function`` needs before calling: the child may not be able
    to read the interpreter's own files."""
    import pickle

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child)
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            data = pickle.dumps((True, function(*args)))
        except BaseException as exc:  # reported to the parent
            data = pickle.dumps((False, f"{type(exc).__name__}: {exc}"))
        with os.fdopen(write, "wb") as handle:
            handle.write(data)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as handle:
        data = handle.read()
    os.waitpid(pid, 0)
    succeeded, result = pickle.loads(data)
    if not succeeded:
        raise AssertionError(f"in the unprivileged child: {result}")
    return result


def shared_directory(owner: int = 0) -> str:
    """A fresh folder under /tmp that `nobody` can reach (pytest's own are private to root)."""
    import tempfile

    path = tempfile.mkdtemp(prefix="ckptlint-test-", dir="/tmp")
    os.chmod(path, 0o755)
    os.chown(path, owner, owner)
    return path


# -- GitHub workflow commands, read back as the Actions runner reads them ----------


def _unescape(value: str, mappings) -> str:
    for token, replacement in mappings:
        value = value.replace(replacement, token)
    return value


# actions/runner src/Runner.Common/ActionCommand.cs: the order in which it unescapes.
_DATA = [("\r", "%0D"), ("\n", "%0A"), ("%", "%25")]
_PROPERTY = [("\r", "%0D"), ("\n", "%0A"), (":", "%3A"), (",", "%2C"), ("%", "%25")]


def parse_command(line: str) -> Optional[Tuple[str, Dict[str, str], str]]:
    """ActionCommand.TryParseV2: `::name k=v,k=v::data`."""
    message = line.lstrip()
    if not message.startswith("::"):
        return None
    end = message.find("::", 2)
    if end < 0:
        return None
    info = message[2:end]
    space = info.find(" ")
    name = info if space < 0 else info[:space]
    properties: Dict[str, str] = {}
    if space > 0:
        for prop in [p for p in info[space + 1 :].strip().split(",") if p]:
            pair = [part for part in prop.split("=", 1) if part]  # RemoveEmptyEntries
            if len(pair) == 2:
                properties[pair[0]] = _unescape(pair[1], _PROPERTY)
    return name, properties, _unescape(message[end + 2 :], _DATA)


def enter_project(tmp_path, monkeypatch):
    """``tmp_path`` as the working directory of a project with an empty
    `[tool.ckptlint]`, the output format left to the command line."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CKPTLINT_OUTPUT_FORMAT", raising=False)
    (tmp_path / "pyproject.toml").write_text("[tool.ckptlint]\n")
    return tmp_path
