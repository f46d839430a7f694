"""Applying fixes to a fixed point, and never producing code that does not parse.

Each round applies every allowed fix that conflicts with none chosen before
it (the rest wait for the next round, which re-lints and rebuilds them on
the new text), then re-lints the new text: that lint is the re-parse that
checks the result. Two fixes conflict when they change the same characters,
insert at one point (their order would be arbitrary), or add one import at
two places. A fix whose own edits overlap is never applied (a builder's
bug: the finding stays, nothing crashes). If a round produces text that does
not parse, the file is left exactly as it was and the rules involved are
named.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, List, Optional, Sequence, Tuple, Type

from ckptlint.config.settings import ProjectSettings
from ckptlint.diagnostics import Diagnostic, FileError
from ckptlint.engine.prefilter import needs_analysis, prefilter_disabled
from ckptlint.engine.runner import LintOutcome, lint_text, parse
from ckptlint.fixes.model import Edit, Fix, ImportEdit, apply_edits, overlapping
from ckptlint.rules.base import Rule
from ckptlint.rules.info import RuleInfo

if TYPE_CHECKING:
    from ckptlint.semantic.program.view import FileView

MAX_ROUNDS = 100


@dataclass
class FixOutcome:
    text: str
    applied: int  # number of fixes applied
    outcome: LintOutcome  # the findings that remain in `text`
    error: Optional[FileError] = None
    fixed_codes: Tuple[str, ...] = ()  # the code of each applied fix (for `--show-fixes`)


def _conflict(a: Edit, b: Edit) -> bool:
    if a == b:
        return False  # the same edit (an import two fixes need) is applied once
    if isinstance(a, ImportEdit) and isinstance(b, ImportEdit) and a.module == b.module:
        return True  # one import at two places: the next round reuses the first
    if a.start == a.end == b.start == b.end:
        return True  # two insertions at one point: their order would be arbitrary
    return a.start < b.end and b.start < a.end


def choose_fixes(diagnostics: Sequence[Diagnostic], unsafe: bool) -> List[Tuple[Diagnostic, Fix]]:
    """Allowed fixes that conflict with none chosen before them, in source order;
    the rest wait a round."""
    candidates = sorted(
        (
            (d, d.fix)
            for d in diagnostics
            if d.fix is not None and d.fix.applicability.allowed(unsafe) and not overlapping(d.fix.edits)
        ),
        key=lambda pair: (pair[1].start, pair[1].end, pair[0].code),
    )
    chosen: List[Tuple[Diagnostic, Fix]] = []
    taken: List[Edit] = []
    for diagnostic, fix in candidates:
        if any(_conflict(edit, other) for edit in fix.edits for other in taken):
            continue
        chosen.append((diagnostic, fix))
        taken.extend(fix.edits)
    return chosen


def fix_text(
    text: str,
    path: str,
    rules: "Sequence[Type[Rule] | RuleInfo]",
    project: ProjectSettings,
    unsafe: bool = False,
    view: "Optional[FileView]" = None,
) -> FixOutcome:
    original = lint_text(text, path, rules, project, view)
    outcome, current, applied = original, text, 0
    fixed_codes: List[str] = []
    if not original.parsed:
        return FixOutcome(text, 0, original)
    for _ in range(MAX_ROUNDS):
        chosen = choose_fixes(outcome.diagnostics, unsafe)
        if not chosen:
            break
        new_text = apply_edits(current, [edit for _, fix in chosen for edit in fix.edits])
        if new_text == current:
            break
        new_outcome = lint_text(new_text, path, rules, project, view)
        if not new_outcome.parsed or not _parses(new_text, path, rules, project):
            return FixOutcome(text, 0, original, _unparsable(path, [d.code for d, _ in chosen]))
        current, outcome, applied = new_text, new_outcome, applied + len(chosen)
        fixed_codes.extend(diagnostic.code for diagnostic, _ in chosen)
    if current != text and _python_accepts(text) and not _python_accepts(current):
        # libcst accepts some code CPython rejects: the interpreter has the last word.
        return FixOutcome(text, 0, original, _unparsable(path, fixed_codes, "that Python rejects"))
    return FixOutcome(current, applied, outcome, fixed_codes=tuple(fixed_codes))


def _parses(text: str, path: str, rules: "Sequence[Type[Rule] | RuleInfo]", project: ProjectSettings) -> bool:
    """Whether the re-lint really parsed ``text``: a fix may remove every word the
    pre-filter looks for, and then the re-lint returns without parsing."""
    if prefilter_disabled() or needs_analysis(text, rules, project):
        return True  # lint_text parsed it
    return not isinstance(parse(text, path), FileError)


def _python_accepts(text: str) -> bool:
    try:
        compile(text, "<ckptlint-fix>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _unparsable(path: str, codes: Sequence[str], what: str = "that does not parse") -> FileError:
    names = ", ".join(sorted(set(codes)))
    return FileError(path, f"fixes for {names} would produce code {what}; file left unchanged", internal=True)
