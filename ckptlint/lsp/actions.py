"""Code actions built from the engine's own `Fix` objects (never re-derived).

- "Fix CKPTnnn (<fix title>)": a quickfix for one finding; safe fixes are
  preferred, unsafe ones say so in the title (the user applies them
  knowingly, as `--unsafe-fixes` does on the command line). Display-only
  fixes are never offered.
- "Disable CKPTnnn for this line": the `# noqa` edit `--add-noqa` makes (the
  one writer, `engine.suppressions.writer`): appended to the finding's noqa
  line or merged into a `# noqa:` list already there; not offered for a line
  that cannot take a comment (it ends inside a string, or continues with a
  backslash), so nothing is ever written into a string.
- `source.fixAll.ckptlint`: the safe fixes of `fix_source`, as one edit.

Fixes are built here, when an action is asked for, and only for the findings
in the requested range (`engine.options.fix_of`): the lint that published the
findings built none. Fix-all is computed when the client asks for it (`only`
names it), or offered unresolved in the plain list and computed on
`codeAction/resolve`.
"""

from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence, Tuple

from lsprotocol import types

from ckptlint.diagnostics import Diagnostic
from ckptlint.engine.options import fix_of
from ckptlint.engine.suppressions.writer import Added, NoqaWriter
from ckptlint.fixes.model import Applicability, Edit, minimal_edit
from ckptlint.lsp.positions import PositionMapper

FIX_ALL_KIND = "source.fixAll.ckptlint"


def _edit(uri: str, mapper: PositionMapper, edits: Sequence[Edit]) -> types.WorkspaceEdit:
    text_edits = [
        types.TextEdit(range=mapper.offsets_range(edit.start, edit.end), new_text=edit.content)
        for edit in sorted(edits, key=lambda e: (e.start, e.end))
    ]
    return types.WorkspaceEdit(changes={uri: text_edits})


def quick_fixes(
    uri: str,
    writer: Callable[[], NoqaWriter],
    mapper: PositionMapper,
    diagnostics: Sequence[Diagnostic],
    within: types.Range,
    to_lsp: Callable[[Diagnostic, PositionMapper], types.Diagnostic],
) -> List[types.CodeAction]:
    """The fixes, then the "Disable" actions, of the findings that overlap ``within`` (``writer``: the
    text's noqa writer, asked for only when a finding is in range)."""
    fixes: List[types.CodeAction] = []
    disables: List[types.CodeAction] = []
    for diagnostic in diagnostics:
        if not _lines_overlap(diagnostic, within):
            continue  # the cheap test first: most findings are on other lines
        lsp_diagnostic = to_lsp(diagnostic, mapper)
        if not overlaps(lsp_diagnostic.range, within):
            continue
        fix = fix_action(uri, mapper, diagnostic, lsp_diagnostic)
        if fix is not None:
            fixes.append(fix)
        disable = noqa_action(uri, writer(), mapper, diagnostic, lsp_diagnostic)
        if disable is not None:
            disables.append(disable)
    return fixes + disables


def _lines_overlap(diagnostic: Diagnostic, within: types.Range) -> bool:
    """Whether ``diagnostic``'s lines meet ``within``'s (a range can overlap only then)."""
    return diagnostic.span.line - 1 <= within.end.line and within.start.line <= diagnostic.span.end_line - 1


def fix_action(uri: str, mapper: PositionMapper, diagnostic: Diagnostic, lsp_diagnostic: types.Diagnostic) -> Optional[types.CodeAction]:
    fix = fix_of(diagnostic)
    if fix is None or fix.applicability is Applicability.DISPLAY_ONLY:
        return None
    safe = fix.applicability is Applicability.SAFE
    title = f"Fix {diagnostic.code} ({fix.title})" + ("" if safe else " [unsafe fix]")
    return types.CodeAction(
        title=title,
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[lsp_diagnostic],
        is_preferred=safe,
        edit=_edit(uri, mapper, fix.edits),
    )


def noqa_action(uri: str, writer: NoqaWriter, mapper: PositionMapper, diagnostic: Diagnostic, lsp_diagnostic: types.Diagnostic) -> Optional[types.CodeAction]:
    step = writer.add(diagnostic.noqa_line or diagnostic.span.line, [diagnostic.code])
    if not isinstance(step, Added):
        return None
    edit = step.edit
    return types.CodeAction(
        title=f"Disable {diagnostic.code} for this line",
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[lsp_diagnostic],
        edit=_edit(uri, mapper, [edit]),
    )


def fix_all_action(uri: str, mapper: PositionMapper, fixed_text: str) -> Optional[types.CodeAction]:
    if fixed_text == mapper.text:
        return None
    edit = minimal_edit(mapper.text, fixed_text, 0)
    return types.CodeAction(
        title=FIX_ALL_TITLE,
        kind=FIX_ALL_KIND,
        edit=_edit(uri, mapper, [edit]),
    )


FIX_ALL_TITLE = "ckptlint: fix all safe fixes"


def unresolved_fix_all(uri: str, version: Optional[int]) -> types.CodeAction:
    """Fix-all without its edit, which `codeAction/resolve` computes if the user picks it."""
    return types.CodeAction(title=FIX_ALL_TITLE, kind=FIX_ALL_KIND, data={"uri": uri, "version": version})


def unresolved_target(action: types.CodeAction) -> Tuple[Optional[str], Optional[int]]:
    """The document (and its version) an unresolved fix-all was offered for."""
    data: Any = action.data
    if action.kind != FIX_ALL_KIND or not isinstance(data, dict) or not isinstance(data.get("uri"), str):
        return None, None
    version = data.get("version")
    return data["uri"], version if isinstance(version, int) else None


def wanted(only: Optional[Sequence[str]], kind: str) -> bool:
    """Whether a client's `context.only` filter admits ``kind`` (prefix match, as LSP defines)."""
    if not only:
        return True
    return asked_for(only, kind)


def asked_for(only: Optional[Sequence[str]], kind: str) -> bool:
    """Whether `context.only` names ``kind`` (or a kind it is part of): the client asks for it."""
    return bool(only) and any(kind == k or kind.startswith(k + ".") for k in only or ())


def overlaps(a: types.Range, b: types.Range) -> bool:
    def key(p: types.Position):
        return (p.line, p.character)

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


__all__ = [
    "FIX_ALL_KIND",
    "asked_for",
    "fix_action",
    "fix_all_action",
    "noqa_action",
    "overlaps",
    "quick_fixes",
    "unresolved_fix_all",
    "unresolved_target",
    "wanted",
]
