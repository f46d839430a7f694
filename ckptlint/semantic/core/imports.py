"""What the module imports at top level, and where a new import goes.

Fix builders ask here how to spell `ckptlint.runtime.atomic_save` in this
file (reusing `import ckptlint.runtime as rt` or `from ckptlint.runtime
import atomic_save` when present) and where to add an import once, next to
the other imports, as ruff's `get_or_import_symbol` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import libcst as cst
from libcst.helpers import get_full_name_for_node


@dataclass(frozen=True)
class ImportedModule:
    module: str  # dotted module path, e.g. "ckptlint.runtime"
    bound_as: str  # the name the file uses for it


@dataclass(frozen=True)
class ImportedSymbol:
    module: str
    symbol: str
    bound_as: str


class ImportTable:
    """Top-level imports of one module (imports inside functions are not reusable)."""

    def __init__(self, module: cst.Module) -> None:
        self.modules: List[ImportedModule] = []
        self.symbols: List[ImportedSymbol] = []
        self.import_block_end: Optional[cst.CSTNode] = None  # last statement of the leading imports
        self.docstring: Optional[cst.CSTNode] = None
        self._scan(module.body)

    def _scan(self, body: Sequence[cst.BaseStatement]) -> None:
        in_leading_block = True
        for index, statement in enumerate(body):
            imports = _imports_of(statement)
            if imports is None:
                if index == 0 and _is_docstring(statement):
                    self.docstring = statement
                    continue
                in_leading_block = False
                continue
            for node in imports:
                self._record(node)
            if in_leading_block:
                self.import_block_end = statement

    def _record(self, node: cst.BaseSmallStatement) -> None:
        if isinstance(node, cst.Import):
            for alias in node.names:
                dotted = get_full_name_for_node(alias.name) or ""
                if alias.asname is not None:
                    bound = get_full_name_for_node(alias.asname.name) or dotted
                    self.modules.append(ImportedModule(dotted, bound))
                else:
                    # `import a.b.c` makes `a.b.c` usable under its own name.
                    self.modules.append(ImportedModule(dotted, dotted))
        elif isinstance(node, cst.ImportFrom) and not node.relative and node.module is not None:
            base = get_full_name_for_node(node.module) or ""
            if isinstance(node.names, cst.ImportStar):
                return
            for alias in node.names:
                name = get_full_name_for_node(alias.name) or ""
                bound = get_full_name_for_node(alias.asname.name) if alias.asname else name
                self.symbols.append(ImportedSymbol(base, name, bound or name))
                # `from ckptlint import runtime` also binds a module.
                self.modules.append(ImportedModule(f"{base}.{name}", bound or name))

    def reference(self, module: str, symbol: str) -> Optional[str]:
        """How this file can name ``module.symbol`` with its existing imports."""
        for imported in self.symbols:
            if imported.module == module and imported.symbol == symbol:
                return imported.bound_as
        for imported_module in self.modules:
            if imported_module.module == module:
                return f"{imported_module.bound_as}.{symbol}"
        return None

    def imports_module(self, prefix: str) -> bool:
        return any(m.module == prefix or m.module.startswith(prefix + ".") for m in self.modules)


def _imports_of(statement: cst.BaseStatement) -> Optional[Tuple[cst.BaseSmallStatement, ...]]:
    if not isinstance(statement, cst.SimpleStatementLine):
        return None
    if all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in statement.body):
        return tuple(statement.body)
    return None


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def import_statement(module: str) -> cst.SimpleStatementLine:
    """The node for `import module` (built, never parsed from a snippet)."""
    parts = module.split(".")
    name: cst.BaseExpression = cst.Name(parts[0])
    for part in parts[1:]:
        name = cst.Attribute(value=name, attr=cst.Name(part))
    return cst.SimpleStatementLine(body=[cst.Import(names=[cst.ImportAlias(name=name)])])  # type: ignore[arg-type]

