"""Get-or-add an import: reuse what the file imports, else add it once.

The added `import x` goes after the module's leading block of imports (after
the docstring and `from __future__` imports); identical import edits from
several fixes in one round are applied once by the fixer.
"""

from __future__ import annotations

from typing import Optional, Tuple

from ckptlint.fixes.model import RUNTIME_MODULE, Edit, ImportEdit
from ckptlint.semantic.core.imports import import_statement
from ckptlint.semantic.model import SemanticModel

def _insertion_offset(model: SemanticModel) -> Tuple[int, str]:
    """Where a new top-level import goes, and a prefix it may need."""
    imports = model.imports
    anchor = imports.import_block_end or imports.docstring
    if anchor is not None:
        end_line = model.span(anchor).end_line
        offset = model.lines.next_line_start(end_line)
        needs_newline = offset == len(model.text) and not model.text.endswith(("\n", "\r"))
        return offset, (model.module.default_newline if needs_newline else "")
    if model.module.body:
        return model.lines.line_start(model.span(model.module.body[0]).line), ""
    return len(model.text), ""


def reference_or_import(model: SemanticModel, module: str, symbol: str) -> Tuple[str, Optional[Edit]]:
    """How to spell ``module.symbol`` here, and the import edit it needs (if any)."""
    existing = model.imports.reference(module, symbol)
    if existing is not None:
        return existing, None
    offset, prefix = _insertion_offset(model)
    statement = model.module.code_for_node(import_statement(module))
    return f"{module}.{symbol}", ImportEdit(offset, offset, prefix + statement, module=module)


def runtime_reference(model: SemanticModel, symbol: str) -> Tuple[str, Optional[Edit]]:
    """How to call ``ckptlint.runtime.<symbol>`` here, importing the runtime if needed."""
    return reference_or_import(model, RUNTIME_MODULE, symbol)
