"""Helpers shared by the tests: build settings and lint snippets in-process."""

from __future__ import annotations

import os
import textwrap

import libcst as cst
from typing import List, Mapping, Optional, Sequence, Type

from ckptlint.api import fix_source, lint_source
from ckptlint.config.loader import build_settings
from ckptlint.config.settings import ProjectSettings, Settings
from ckptlint.diagnostics import Diagnostic
from ckptlint.engine.fixer import FixOutcome
from ckptlint.rules.base import Rule
from ckptlint.semantic.model import SemanticModel

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(REPO, "fixtures")
SHARED = os.path.join(os.path.dirname(REPO), "shared")


def settings(table: Optional[Mapping[str, object]] = None, root: Optional[str] = None) -> Settings:
    return build_settings(dict(table or {}), root=root or os.getcwd())


def dedent(code: str) -> str:
    return textwrap.dedent(code).lstrip("\n")


def lint(
    code: str,
    *,
    rules: Optional[Sequence[Type[Rule]]] = None,
    table: Optional[Mapping[str, object]] = None,
    path: str = "example.py",
) -> List[Diagnostic]:
    outcome = lint_source(dedent(code), path, settings(table), rules=rules)
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
) -> FixOutcome:
    return fix_source(dedent(code), path, settings(table), unsafe_fixes=unsafe, rules=rules)


def build_model(code: str, project: Optional[ProjectSettings] = None) -> SemanticModel:
    """The semantic model of ``code`` (dedented), as the engine builds it."""
    text = dedent(code)
    return SemanticModel(cst.parse_module(text), text, project)
