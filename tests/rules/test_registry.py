"""Registry invariants: one table, checked against the rules package."""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import pkgutil
import re

import ckptlint.rules
from ckptlint.docs import REQUIRED_SECTIONS, docstring
from ckptlint.rules.base import Rule
from ckptlint.rules.registry import BY_CODE, BY_NAME, RULES

FOLDER_RANGES = {"meta": "0", "saving": "1", "loading": "2", "distributed": "3", "reproducibility": "4", "paths": "5"}


def _rule_modules():
    for info in pkgutil.walk_packages(ckptlint.rules.__path__, "ckptlint.rules."):
        yield importlib.import_module(info.name)


def test_codes_and_names_unique() -> None:
    assert len(BY_CODE) == len(RULES)
    assert len(BY_NAME) == len(RULES)


def test_names_are_kebab_case_and_codes_well_formed() -> None:
    for rule in RULES:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name), rule.name
        assert re.fullmatch(r"CKPT[0-5]\d\d", rule.code), rule.code
        assert not rule.message.endswith("."), rule.code


def test_every_rule_class_is_registered_and_in_its_folder_range() -> None:
    found = set()
    for module in _rule_modules():
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, Rule) and obj is not Rule and obj.__module__ == module.__name__:
                found.add(obj)
                folder = module.__name__.split(".")[2]
                assert obj.code[4] == FOLDER_RANGES[folder], (obj.code, folder)
                file = module.__name__.rsplit(".", 1)[1]
                assert file == f"{obj.code.lower()}_{obj.name.replace('-', '_')}", file
    assert found == set(RULES)


def test_every_rule_has_examples_and_documentation() -> None:
    for rule in RULES:
        assert rule.VALID and rule.INVALID, rule.code
        text = docstring(rule)
        for heading in REQUIRED_SECTIONS:
            assert heading in text, (rule.code, heading)
        assert "Use instead:" in text, rule.code


FORBIDDEN_MODULES = ("libcst.metadata", "libcst._parser")
FORBIDDEN_NAMES = {"MetadataWrapper", "parse_module", "parse_expression", "parse_statement"}


def test_rules_never_use_metadata_or_the_parser() -> None:
    """Rules read the shared model only: no metadata providers, no parsing."""
    root = os.path.dirname(ckptlint.rules.__file__)
    for directory, _, files in os.walk(root):
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(directory, name)
            tree = ast.parse(open(path, encoding="utf-8").read(), path)
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom):
                    assert not (node.module or "").startswith(FORBIDDEN_MODULES), path
                    assert not {a.name for a in node.names} & FORBIDDEN_NAMES, path
                elif isinstance(node, ast.Import):
                    assert not any(a.name.startswith(FORBIDDEN_MODULES) for a in node.names), path
                elif isinstance(node, ast.Attribute):
                    assert node.attr not in FORBIDDEN_NAMES, (path, node.attr)


HOOKS = ("check_call", "check_save", "check_load", "check_module")


def test_every_rule_implements_a_hook_and_routes_calls_only_to_check_call() -> None:
    """The engine routes sites to the hooks a rule implements: a rule with none never runs, and
    `calls` without `check_call` (or the reverse) would route nothing or nothing useful."""
    for rule in RULES:
        assert any(rule.implements(hook) for hook in HOOKS), rule.code
        assert bool(rule.calls) == rule.implements("check_call"), rule.code
