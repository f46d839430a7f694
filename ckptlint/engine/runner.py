"""Linting one text: parse once -> model -> rules -> suppressions.

This is the per-file boundary: whatever goes wrong with one file or one rule
becomes a `FileError`, and the run goes on with the other rules and files.
Fixes are built here only when the caller reads them (`LintOptions.fixes`);
otherwise each finding keeps its builder, which reports a failure as no fix.
"""

from __future__ import annotations

import contextlib
import gc
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterator, List, Optional, Sequence, Type

import libcst as cst

from ckptlint.config.settings import ProjectSettings
from ckptlint.diagnostics import Diagnostic, FileError
from ckptlint.engine.options import DEFAULT, LintOptions
from ckptlint.engine.preflight import nesting_problem
from ckptlint.engine.prefilter import file_words, rules_that_can_fire
from ckptlint.engine.suppressions.apply import Suppressions
from ckptlint.engine.suppressions.directives import read_file
from ckptlint.engine.suppressions.unused import META_CODES, check_suppressions
from ckptlint.fixes.model import Applicability, Fix
from ckptlint.rules.base import Context, Report, Rule
from ckptlint.rules.info import RuleInfo
from ckptlint.semantic.core.parsing import parse_module
from ckptlint.semantic.model import SemanticModel

if TYPE_CHECKING:
    from ckptlint.semantic.program.view import FileView

# Every suppression comment contains one of these words (`engine/suppressions/directives.py`):
# a text without them has none, and its comments are never collected.
_DIRECTIVE_WORDS = ("noqa", "ckptlint")


@dataclass
class LintOutcome:
    """Findings and errors for one version of one file's text."""

    diagnostics: List[Diagnostic] = field(default_factory=list)
    errors: List[FileError] = field(default_factory=list)
    parsed: bool = True
    view: "Optional[FileView]" = None  # how the lint saw the project: `view.reads` are the modules it read
    # The model the findings' fixes are built from, while they may still be (`close`).
    _model: "Optional[SemanticModel]" = field(default=None, repr=False, compare=False)

    def close(self) -> None:
        """No fix of these findings will be built any more (a language server's older version of
        a document): the model lets its facts go (`SemanticModel.close`), and what the lint built
        is freed as soon as the findings are, by reference counting, not by the cycle collector.
        Idempotent; nothing to do when the fixes were built during the lint."""
        model, self._model = self._model, None
        if model is not None:
            model.close()


def parse(text: str, path: str) -> "cst.Module | FileError":
    """The one parse of a text, or the one-line reason it cannot be parsed."""
    problem = nesting_problem(text)
    if problem is not None:
        return FileError(path, f"cannot parse: {problem}")
    try:
        with _no_cycle_collection():
            return parse_module(text)
    except cst.ParserSyntaxError as exc:
        message = " ".join(str(exc.message).split())
        return FileError(path, f"syntax error at {exc.raw_line}:{exc.raw_column + 1}: {message}")
    except (RecursionError, MemoryError) as exc:
        return FileError(path, f"cannot parse: {type(exc).__name__}")
    except Exception as exc:  # the native parser may raise anything on odd input
        return FileError(path, f"cannot parse: {' '.join(str(exc).split()) or type(exc).__name__}")


_FROZEN_LINTS = 0  # lints (a summary's, inside a file's) running with the collector frozen
# Files from this size are analysed with their tree frozen; below it a full pass of the collector
# costs little, and cyclic garbage of earlier files, frozen with the tree, would be kept longer.
FREEZE_FROM_CHARACTERS = 256 * 1024


@contextlib.contextmanager
def _tree_out_of_collection() -> Iterator[None]:
    """The analysis of a large file allocates millions of small objects, and each of the
    collector's full passes would scan the whole syntax tree again: on a 3 MB script, time per
    megabyte tripled. The
    tree and everything alive when the analysis starts are frozen (`gc.freeze`: the collector
    skips them, reference counting still frees them), and thawed when the outermost lint ends;
    cycles the analysis makes are collected as usual."""
    global _FROZEN_LINTS
    gc.freeze()
    _FROZEN_LINTS += 1
    try:
        yield
    finally:
        _FROZEN_LINTS -= 1
        if _FROZEN_LINTS == 0:
            gc.unfreeze()


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector scans every tracked object again and again while a parse
    allocates millions of nodes, which makes a parse grow faster than the file; a syntax
    tree holds no cycles, so the collector is paused for it (and resumed as it was)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def lint_text(
    text: str,
    path: str,
    rules: "Sequence[Type[Rule] | RuleInfo]",
    project: ProjectSettings,
    view: "Optional[FileView]" = None,
    options: LintOptions = DEFAULT,
) -> LintOutcome:
    """Run ``rules`` on ``text``: the findings that survive suppression.

    ``rules`` are rule classes or their `RuleInfo`s; a rule is imported only
    when the pre-filter says it can fire on this text. Every one of ``rules``
    counts as having run (for unused-suppression checks): one that was skipped
    could not have reported anything. ``view`` is how the file sees the other
    modules of its project (their summaries, and their words for the
    pre-filter); without one the text is linted on its own. Raises `Cancelled`
    when ``options`` say the lint is no longer wanted.
    """
    words = file_words(text, view)
    runnable = [_rule_class(rule) for rule in rules_that_can_fire(words, rules, project)]
    if not runnable:
        return LintOutcome()
    options.checkpoint()  # the parse cannot stop once started: superseded before it, it never starts
    # A module the run parsed for its summary comes with its model: the file is parsed once.
    model = view.own_model(text, project) if view is not None else None
    if model is None:
        parsed = parse(text, path)
        if isinstance(parsed, FileError):
            return LintOutcome(errors=[parsed], parsed=False)
        options.checkpoint()
    with _tree_out_of_collection() if len(text) >= FREEZE_FROM_CHARACTERS else contextlib.nullcontext():
        if model is None:
            model = SemanticModel(parsed, text, project, view)
        try:
            outcome = _analyse(model, text, path, rules, runnable, project, options)
        except BaseException:  # superseded (`Cancelled`): nobody reads these findings
            model.close()
            raise
        if options.fixes:  # built: no finding keeps a fix to build from the model later
            model.close()
        else:
            outcome._model = model  # the caller closes it once the fixes are no longer wanted
        return outcome


def _analyse(
    model: SemanticModel,
    text: str,
    path: str,
    rules: "Sequence[Type[Rule] | RuleInfo]",
    runnable: List[Type[Rule]],
    project: ProjectSettings,
    options: LintOptions,
) -> LintOutcome:
    outcome = LintOutcome(view=model.view)  # type: ignore[arg-type]  # the view the model reads through
    for rule_class in runnable:
        options.checkpoint()
        _run_rule(rule_class(), model, path, project, outcome, options)
    ran = frozenset(rule.code for rule in rules)
    lowered = text.lower()
    check_comments = bool(ran & META_CODES) and ("CKPT" in text or "ckptlint" in lowered)
    has_directives = any(word in lowered for word in _DIRECTIVE_WORDS)
    if outcome.diagnostics or check_comments:
        directives = read_file(model.comments if has_directives else (), text)
        suppressions = Suppressions.from_directives(directives)
        meta = (
            check_suppressions(path, text, directives, outcome.diagnostics, ran, suppressions)
            if check_comments
            else []
        )
        usage_only = {rule.code for rule in rules if isinstance(rule, RuleInfo) and rule.usage_only}
        outcome.diagnostics = [
            d for d in outcome.diagnostics if d.code not in usage_only and not suppressions.suppresses(d)
        ] + meta
        outcome.diagnostics.sort(key=Diagnostic.sort_key)
    return outcome


def _rule_class(rule: "Type[Rule] | RuleInfo") -> Type[Rule]:
    return rule.load() if isinstance(rule, RuleInfo) else rule


def _run_rule(
    rule: Rule,
    model: SemanticModel,
    path: str,
    project: ProjectSettings,
    outcome: LintOutcome,
    options: LintOptions = DEFAULT,
) -> None:
    """Route the model's sites to the hooks ``rule`` implements (the sites of a hook it does not
    implement are never computed), behind its `applies` gate, asked once there is work."""
    ctx = Context(model, rule, project)
    at: Optional[cst.CSTNode] = None  # the site being checked: the line of an error
    try:
        calls = model.calls_to(*rule.calls) if rule.calls else []
        saves = model.saves.sites if rule.implements("check_save") else []
        loads = model.resume.loads if rule.implements("check_load") else ()
        if (calls or saves or loads or rule.implements("check_module")) and rule.applies(ctx):
            for call in calls:
                at = call.node
                options.checkpoint()
                rule.check_call(call, ctx)
            for save in saves:
                at = save.call
                options.checkpoint()
                rule.check_save(save, ctx)
            for load in loads:
                at = load.call
                options.checkpoint()
                rule.check_load(load, ctx)
            at = None
            rule.check_module(ctx)
        diagnostics = []
        for report in ctx.reports:
            at = report.node
            diagnostics.append(_diagnostic(report, rule, model, path, project, options.fixes))
    except Exception as exc:  # one rule's bug must not stop the others
        line = model.span(at).line if at is not None else None
        detail = " ".join(str(exc).split())
        outcome.errors.append(
            FileError(
                path,
                f"rule {rule.code} ({rule.name}) failed: {type(exc).__name__}: {detail}",
                internal=True,
                line=line,
            )
        )
        return
    finally:
        # A report's fix builder keeps the context: without the reports, the context keeps no cycle
        # through the model (a finding whose fix is built later holds its report itself).
        ctx.reports.clear()
    outcome.diagnostics.extend(diagnostics)


def _diagnostic(
    report: Report, rule: Rule, model: SemanticModel, path: str, project: ProjectSettings, build_fix: bool
) -> Diagnostic:
    span = model.span(report.node)
    fix = _effective_fix(report.build_fix(), project) if build_fix else None
    return Diagnostic(
        path=path,
        code=rule.code,
        name=rule.name,
        message=report.message,
        span=span,
        fix=fix,
        noqa_line=span.line,
        fix_later=None if build_fix else _fix_later(report, rule, project),
    )


def _fix_later(report: Report, rule: Rule, project: ProjectSettings) -> "Callable[[], Optional[Fix]]":
    """What builds ``report``'s fix when it is asked for; a builder that fails gives no fix (and
    says so in the log), as the lint that did not build it could not have reported the failure."""

    def build() -> Optional[Fix]:
        try:
            return _effective_fix(report.build_fix(), project)
        except Exception:
            import logging  # here, not at the top: a lint that builds no broken fix never loads it (2-3 ms)

            logging.getLogger(__name__).exception("building the fix of %s (%s) failed", rule.code, rule.name)
            return None

    return build


def _effective_fix(fix: Optional[Fix], project: ProjectSettings) -> Optional[Fix]:
    """A fix that adds the first runtime import adds a dependency: unsafe unless
    the project says the runtime is available (the catalog's fix classes)."""
    if fix is None or not fix.edits:
        return None
    if fix.adds_runtime_import and not project.runtime_available and fix.applicability is Applicability.SAFE:
        return fix.with_applicability(Applicability.UNSAFE)
    return fix
