"""Get-or-add an import: reuse what the file imports, else add it once.

The added `import x` goes with the file's other imports: after the last
runtime import of the module's header (`semantic/imports.py` defines it;
never inside a `try`/`if` guard, never between `import warnings` and the
`warnings.simplefilter(...)` that follows it), or after the docstring and
`__future__` imports when the header has none. A fix that rewrites code of
the header itself needs its import before that code: the edit carries the
header's earlier insertion points and the `Fix` takes the last one before its
first edit. Identical import edits from several fixes in one round are
applied once by the fixer.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

from ckptlint.fixes.model import RUNTIME_MODULE, Edit, ImportEdit
from ckptlint.fixes.source_map import SourceMap, source_map
from ckptlint.semantic.core.imports import import_statement
from ckptlint.semantic.model import SemanticModel


def _insertion_points(model: SemanticModel) -> List[int]:
    """Where a new top-level import may go, as rendered offsets, earliest first: after
    the docstring and `__future__` imports, then after each of the header's imports."""
    where = source_map(model)
    imports = model.imports
    first = imports.future_end or imports.docstring
    if first is not None:
        points = [_after(model, where, first)]
    elif model.module.body:
        points = [where.lines.line_start(model.rendered_span(model.module.body[0]).line)]
    else:
        points = [len(where.rendered)]
    points.extend(_after(model, where, statement) for statement in imports.header_imports)
    return points


def _after(model: SemanticModel, where: SourceMap, statement: object) -> int:
    return where.lines.next_line_start(model.rendered_span(statement).end_line)  # type: ignore[arg-type]


def reference_or_import(model: SemanticModel, module: str, symbol: str) -> Tuple[str, Optional[Edit]]:
    """How to spell ``module.symbol`` here, and the import edit it needs (if any)."""
    existing = model.imports.reference(module, symbol)
    if existing is not None:
        return existing, None
    where = source_map(model)
    statement = model.module.code_for_node(import_statement(module))
    placed = [_placed(model, where, point, statement) for point in _insertion_points(model)]
    offset, content = placed[-1]
    return f"{module}.{symbol}", ImportEdit(offset, offset, content, module=module, earlier=tuple(placed[:-1]))


def _placed(model: SemanticModel, where: SourceMap, rendered_offset: int, statement: str) -> Tuple[int, str]:
    """The text offset of an insertion point and the import's text there (a file that
    does not end with a newline needs one before it)."""
    point = where.after(rendered_offset)
    text = model.text
    needs_newline = point == len(text) and text != "" and not text.endswith(("\n", "\r"))
    return point, (model.module.default_newline if needs_newline else "") + statement


def runtime_reference(model: SemanticModel, symbol: str) -> Tuple[str, Optional[Edit]]:
    """How to call ``ckptlint.runtime.<symbol>`` here, importing the runtime if needed."""
    return reference_or_import(model, RUNTIME_MODULE, symbol)
