"""The pipeline's boundaries, as the code's own imports show them (review P4, P5).

- Text in, findings out (`engine/analysis.py`, `runner`, `fixer`, `prefilter`,
  `preflight`, `engine/suppressions/`) touches no file: it imports none of the
  run's I/O modules, and `analysis` and `suppressions` do not even open one.
- `api.py` only names things; nothing in the package imports it back.
- Reporters read the run's data types, never `api`.
- The suppression grammar is lexed in one module: one `ckptlint:` directive
  regex in the tree, none in the language server's actions.
- The rule table has no circle: `info` <- `metadata` <- `table`.
"""

from __future__ import annotations

import ast
import os
from typing import Dict, Iterator, Set, Tuple

from support import REPO

PACKAGE = os.path.join(REPO, "ckptlint")
ANALYSIS = (
    "ckptlint.engine.analysis", "ckptlint.engine.runner", "ckptlint.engine.fixer",
    "ckptlint.engine.prefilter", "ckptlint.engine.preflight", "ckptlint.engine.suppressions",
)
RUN_IO = ("ckptlint.engine.session", "ckptlint.engine.source", "ckptlint.engine.discovery", "ckptlint.engine.cache")


def _modules() -> Iterator[Tuple[str, str, ast.Module]]:
    for directory, _, files in os.walk(PACKAGE):
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                module = os.path.relpath(path, REPO)[:-3].replace(os.sep, ".").removesuffix(".__init__")
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
                yield module, text, ast.parse(text)


MODULES = {module: (text, tree) for module, text, tree in _modules()}


def _imports(tree: ast.Module) -> Set[str]:
    names: Set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


IMPORTS: Dict[str, Set[str]] = {module: _imports(tree) for module, (_, tree) in MODULES.items()}


def _in(module: str, packages) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def test_analysis_imports_none_of_the_runs_io() -> None:
    for module, imports in IMPORTS.items():
        if _in(module, ANALYSIS):
            assert not [i for i in imports if _in(i, RUN_IO)], module


def test_analysis_and_suppressions_open_no_file() -> None:
    for module, (_, tree) in MODULES.items():
        if _in(module, ("ckptlint.engine.analysis", "ckptlint.engine.suppressions")):
            calls = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
            assert "open" not in calls, module
            assert not IMPORTS[module] & {"os", "pathlib", "shutil", "tempfile"}, module


def test_api_only_names_and_nothing_imports_it() -> None:
    _, tree = MODULES["ckptlint.api"]
    assert all(isinstance(node, (ast.Expr, ast.ImportFrom, ast.Assign)) for node in tree.body)
    assert [m for m, imports in IMPORTS.items() if "ckptlint.api" in imports and not m.startswith("ckptlint.lsp")] == [
        "ckptlint.cli.check"
    ]


def test_reporters_read_the_run_data_not_the_api() -> None:
    for module, imports in IMPORTS.items():
        if module.startswith("ckptlint.reporters"):
            assert "ckptlint.api" not in imports, module


def test_one_directive_grammar() -> None:
    defining = [module for module, (text, _) in MODULES.items() if "_DIRECTIVE = re.compile(" in text]
    assert defining == ["ckptlint.engine.suppressions.directives"]
    actions, _ = MODULES["ckptlint.lsp.actions"]
    assert "re.compile" not in actions and "import re" not in actions
    assert not [m for m, (text, _) in MODULES.items() if "type(rule.__name__" in text]


def test_the_rule_table_has_no_circle() -> None:
    assert not IMPORTS["ckptlint.rules.info"] & {"ckptlint.rules.metadata", "ckptlint.rules.table"}
    assert "ckptlint.rules.table" not in IMPORTS["ckptlint.rules.metadata"]
