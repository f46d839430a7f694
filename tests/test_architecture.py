"""The semantic model's layers, as the code's own imports show them.

    data  <-  core  <-  facts  <-  model  <-  program  <-  rules / engine

- `semantic/data/` (catalogs, aliases, signatures) imports nothing of `semantic`.
- `semantic/core/` imports only `core` and `data`: no fact, not the model.
- `semantic/facts/` import `core`, `data` and other facts, never the model; the
  facts form no cycle, and a fact reads another fact only through its
  constructor (never as an attribute of the core it is given).
- Only `semantic/model.py` wires facts; in `semantic/`, only `semantic/program/` (the project
  index, which builds other modules' models to summarise them) imports it.
- No import cycle anywhere in `semantic/`.
"""

from __future__ import annotations

import ast
import os
from typing import Dict, Set

from support import REPO

SEMANTIC = os.path.join(REPO, "ckptlint", "semantic")
FACETS = {
    "kinds", "saves", "checkpoints", "loops", "paths", "distributed", "guards", "resume",
    "seeding", "dataloaders", "fsdp_policy", "files", "buffers",
}


def _modules() -> Dict[str, ast.Module]:
    found = {}
    for directory, _, files in os.walk(SEMANTIC):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                relative = os.path.relpath(path, os.path.join(REPO)).replace(os.sep, ".")[:-3]
                module = relative[: -len(".__init__")] if relative.endswith(".__init__") else relative
                with open(path, encoding="utf-8") as handle:
                    found[module] = ast.parse(handle.read())
    return found


MODULES = _modules()


def _imports(tree: ast.Module) -> Set[str]:
    names: Set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name in MODULES}


GRAPH = {module: _imports(tree) for module, tree in MODULES.items()}


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[2] if len(parts) > 3 else parts[-1]


def test_data_imports_nothing_of_semantic() -> None:
    for module, imports in GRAPH.items():
        if _layer(module) == "data":
            assert {i for i in imports if _layer(i) != "data"} == set(), module


def test_core_imports_only_core_and_data() -> None:
    for module, imports in GRAPH.items():
        if _layer(module) == "core":
            assert {_layer(i) for i in imports} <= {"core", "data"}, (module, imports)


def test_facts_never_import_the_model() -> None:
    for module, imports in GRAPH.items():
        if _layer(module) == "facts":
            assert {_layer(i) for i in imports} <= {"core", "data", "facts"}, (module, imports)


def test_only_the_model_wires_facts_and_only_the_program_imports_it() -> None:
    for module, imports in GRAPH.items():
        if _layer(module) != "program":
            assert "ckptlint.semantic.model" not in imports, module
            assert not any(_layer(i) == "program" for i in imports), module


def test_no_import_cycle_in_semantic() -> None:
    state: Dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(module: str, path: list) -> None:
        state[module] = 1
        for imported in GRAPH[module]:
            if state.get(imported) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path + [module, imported]))
            if imported not in state:
                visit(imported, path + [module])
        state[module] = 2

    for module in GRAPH:
        if module not in state:
            visit(module, [])


def test_facts_read_other_facts_only_through_their_constructor() -> None:
    for module, tree in MODULES.items():
        if _layer(module) not in ("facts", "core"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in FACETS:
                owner = node.value
                is_core = isinstance(owner, ast.Name) and owner.id == "core" or (
                    isinstance(owner, ast.Attribute) and owner.attr == "_core"
                )
                assert not is_core, f"{module}:{node.lineno} reads the fact `{node.attr}` through the core"
