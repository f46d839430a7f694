"""Text in, findings out: the rules a settings object selects for a path, run
on one text (`lint_source`) or applied to a fixed point (`fix_source`).

No file is read or written here. Two things are settled on the way out, for
every caller alike (the command line, the language server, notebooks):
- a text the parser refused gets the position and message Python's own
  parser gives (libcst's point at where its grammar gave up, often a line
  later), and the kind of the error: `invalid-syntax` when Python rejects the
  code too, `unsupported-syntax` when only ckptlint cannot read it;
- warnings from the internal compiles (`SyntaxWarning: "is" with a literal`)
  are about the user's code, not the run: they never reach the user.
"""

from __future__ import annotations

import ast
import contextlib
import warnings
from dataclasses import replace
from typing import TYPE_CHECKING, Iterator, Optional, Sequence, Type

from ckptlint.config.settings import Settings
from ckptlint.diagnostics import INVALID_SYNTAX, UNSUPPORTED_SYNTAX, FileError
from ckptlint.engine.selection import infos_for
from ckptlint.engine.suppressions.unused import META_CODES, UNUSED

# The analysis modules (libcst, the rules, the model) are imported only when a
# text is analysed: a run over files that cannot matter, or whose results are
# cached, starts and finishes without them.
if TYPE_CHECKING:
    from ckptlint.engine.fixer import FixOutcome
    from ckptlint.engine.options import LintOptions
    from ckptlint.engine.runner import LintOutcome
    from ckptlint.rules.base import Rule
    from ckptlint.semantic.program.view import FileView


def selected_rules(path: str, settings: Settings, rules: "Optional[Sequence[Type[Rule]]]" = None) -> list:
    """The rules to run on ``path``: the configured ones, or an explicit choice
    (as tests make). With an explicit choice that includes CKPT001, the file's
    configured rules run too, usage-only: whether a `# noqa: CKPT201` is used
    depends on CKPT201's findings even when only CKPT001's are wanted."""
    configured = infos_for(path, settings)
    if rules is None:
        return configured
    chosen: list = list(rules)
    if not any(rule.code == UNUSED for rule in chosen):
        return chosen
    codes = {rule.code for rule in chosen} | META_CODES
    return chosen + [replace(info, usage_only=True) for info in configured if info.code not in codes]


def lint_source(
    text: str,
    path: str,
    settings: Settings,
    *,
    rules: "Optional[Sequence[Type[Rule]]]" = None,
    view: "Optional[FileView]" = None,
    options: "Optional[LintOptions]" = None,
) -> "LintOutcome":
    """Lint ``text`` as if it were the file ``path``, seeing the other modules of its project
    through ``view`` when the caller gives one (``options``: `engine.options`)."""
    from ckptlint.engine.options import DEFAULT
    from ckptlint.engine.runner import lint_text

    with _silenced():
        outcome = lint_text(text, path, selected_rules(path, settings, rules), settings.project, view, options or DEFAULT)
    if not outcome.parsed:
        outcome.errors = [python_syntax_error(text, error) for error in outcome.errors]
    return outcome


def fix_source(
    text: str,
    path: str,
    settings: Settings,
    *,
    unsafe_fixes: bool = False,
    rules: "Optional[Sequence[Type[Rule]]]" = None,
    view: "Optional[FileView]" = None,
) -> "FixOutcome":
    """Apply fixes to ``text`` until nothing changes; the text is never made unparsable."""
    from ckptlint.engine.fixer import fix_text

    with _silenced():
        fixed = fix_text(text, path, selected_rules(path, settings, rules), settings.project, unsafe=unsafe_fixes, view=view)
    if not fixed.outcome.parsed:
        fixed.outcome.errors = [python_syntax_error(text, error) for error in fixed.outcome.errors]
    return fixed


def python_syntax_error(text: str, error: FileError) -> FileError:
    """``error`` (the parser's refusal of ``text``) as Python's parser states it."""
    try:
        with _silenced():
            compile(text, error.path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as exc:
        return replace(
            error,
            message=" ".join(str(exc.msg).split()),
            line=exc.lineno or None,
            column=exc.offset if exc.lineno and exc.offset and exc.offset > 0 else None,
            kind=INVALID_SYNTAX,
        )
    except (RecursionError, MemoryError, ValueError):
        return replace(error, kind=INVALID_SYNTAX)  # too deep (or null bytes) for Python too
    return replace(error, kind=UNSUPPORTED_SYNTAX)


@contextlib.contextmanager
def _silenced() -> Iterator[None]:
    """Warnings the compiler raises about the user's code (a `SyntaxWarning`),
    which the user's own tools report; the filters are restored afterwards."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
