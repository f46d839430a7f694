"""What the module imports at top level, and where a new import goes.

Fix builders ask here how to spell `ckptlint.runtime.atomic_save` in this
file (reusing `import ckptlint.runtime as rt` or `from ckptlint.runtime
import atomic_save` when present) and where to add an import once, next to
the other imports, as ruff's `get_or_import_symbol` does.

The **header** of a module is the part before its first definition or
control-flow statement: the docstring, the imports, import guards (`try:
import x` / `except ImportError:`, `if TYPE_CHECKING:`, an `if` that picks
between imports) and the setup statements between them
(`warnings.simplefilter(...)`, `sys.path.insert(...)`, constants). A new
import goes after one of the header's runtime imports (a plain import or a
`try`/`if` import guard; not a `TYPE_CHECKING` block, whose imports do not
run), never inside a guard and never before a `from __future__` import.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple, Union

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
        self.docstring: Optional[cst.CSTNode] = None
        # The header's statements a new import may follow, in order: its runtime
        # import statements and import guards after the `__future__` imports.
        self.header_imports: List[cst.BaseStatement] = []
        self.future_end: Optional[cst.CSTNode] = None  # the last `from __future__` import
        self._scan(module.body)

    @property
    def import_block_end(self) -> Optional[cst.CSTNode]:
        """The header's last runtime import (where a new import goes by default)."""
        return self.header_imports[-1] if self.header_imports else None

    def _scan(self, body: Sequence[cst.BaseStatement]) -> None:
        in_header = True
        for index, statement in enumerate(body):
            imports = _imports_of(statement)
            if imports is not None:
                for node in imports:
                    self._record(node)
                if in_header:
                    self._add_header_import(statement, imports)
                continue
            if index == 0 and _is_docstring(statement):
                self.docstring = statement
                continue
            guard = _import_guard(statement)
            if guard is not None:
                if in_header and guard is _Guard.RUNTIME:
                    self.header_imports.append(statement)
                continue
            if not isinstance(statement, cst.SimpleStatementLine):
                in_header = False

    def _add_header_import(self, statement: cst.BaseStatement, imports: Tuple[cst.BaseSmallStatement, ...]) -> None:
        if all(_is_future(node) for node in imports):
            self.future_end = statement
            self.header_imports.clear()  # nothing may go before a `__future__` import
            return
        self.header_imports.append(statement)

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


def _is_future(node: cst.BaseSmallStatement) -> bool:
    return isinstance(node, cst.ImportFrom) and node.module is not None and get_full_name_for_node(node.module) == "__future__"


class _Guard(enum.Enum):
    RUNTIME = "runtime"  # `try: import x` / `except ImportError:`, `if sys.version_info...: import x`
    TYPE_CHECKING = "type-checking"  # `if TYPE_CHECKING:`: its imports never run


def _import_guard(statement: cst.BaseStatement) -> Optional[_Guard]:
    """Whether ``statement`` is a `try` or `if` made of simple statements only, at
    least one of them an import (and which kind)."""
    if isinstance(statement, cst.Try):
        blocks = [statement.body, *(handler.body for handler in statement.handlers)]
        blocks += [part.body for part in (statement.orelse, statement.finalbody) if part is not None]
    elif isinstance(statement, cst.If):
        blocks = _if_blocks(statement)
    else:
        return None
    lines = [line for block in blocks for line in _simple_lines(block)]
    if any(line is None for line in lines) or not any(_imports_of(line) for line in lines if line is not None):
        return None
    if isinstance(statement, cst.If) and _is_type_checking(statement.test):
        return _Guard.TYPE_CHECKING
    return _Guard.RUNTIME


def _if_blocks(statement: cst.If) -> List[cst.BaseSuite]:
    """The blocks of an `if` with its `elif`s and `else`."""
    blocks: List[cst.BaseSuite] = []
    current: Optional[Union[cst.If, cst.Else]] = statement
    while current is not None:
        blocks.append(current.body)
        current = current.orelse if isinstance(current, cst.If) else None
    return blocks


def _simple_lines(block: cst.BaseSuite) -> List[Optional[cst.SimpleStatementLine]]:
    """The statement lines of ``block``; None for a compound statement in it."""
    if isinstance(block, cst.SimpleStatementSuite):
        return [cst.SimpleStatementLine(body=block.body)]
    return [line if isinstance(line, cst.SimpleStatementLine) else None for line in block.body]  # type: ignore[union-attr]


def _is_type_checking(test: cst.BaseExpression) -> bool:
    name = get_full_name_for_node(test)
    return name is not None and name.rsplit(".", 1)[-1] == "TYPE_CHECKING"


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

