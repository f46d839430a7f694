"""The one entry point for the CLI, the language server and the hook.

`lint_source` / `fix_source` work on text; `lint_paths` reads files (each
once), lints or fixes them, and writes fixed files back in their own
encoding, line endings and permissions.
"""

from __future__ import annotations

import enum
import functools
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Sequence, Type

from ckptlint.config.settings import Settings
from ckptlint.diagnostics import Diagnostic, FileError
from ckptlint.engine.discovery import discover
from ckptlint.engine.prefilter import needs_analysis, prefilter_disabled
from ckptlint.engine.selection import infos_for, rules_for
from ckptlint.engine.source import SourceError, SourceFile, read_source, write_source

# The analysis modules (libcst, the rules, the model) are imported only when a
# file needs parsing: a run over files that cannot matter, or whose results
# are cached, starts and finishes without them.
if TYPE_CHECKING:
    from ckptlint.engine.cache import ResultCache
    from ckptlint.engine.fixer import FixOutcome
    from ckptlint.engine.runner import LintOutcome
    from ckptlint.rules.base import Rule


class FixMode(enum.Enum):
    CHECK = "check"  # report only
    FIX = "fix"  # apply fixes and write files
    DIFF = "diff"  # compute fixes, write nothing


@dataclass
class FileReport:
    path: str
    diagnostics: List[Diagnostic] = field(default_factory=list)
    errors: List[FileError] = field(default_factory=list)
    fixed: int = 0
    original: Optional[str] = None
    text: Optional[str] = None  # the text after fixes (== original when none)
    fixed_codes: List[str] = field(default_factory=list)  # one code per applied fix
    # Notebooks: the code of each cell, keyed by the path its findings carry (`nb.ipynb:cell 2`).
    cell_texts: Optional[Dict[str, str]] = None

    @property
    def changed(self) -> bool:
        return self.original is not None and self.text is not None and self.text != self.original


@dataclass
class RunReport:
    files: List[FileReport] = field(default_factory=list)

    @property
    def diagnostics(self) -> List[Diagnostic]:
        return [d for f in self.files for d in f.diagnostics]

    @property
    def errors(self) -> List[FileError]:
        return [e for f in self.files for e in f.errors]

    @property
    def fixed(self) -> int:
        return sum(f.fixed for f in self.files)


def lint_source(
    text: str,
    path: str,
    settings: Settings,
    *,
    rules: Optional[Sequence[Type[Rule]]] = None,
) -> "LintOutcome":
    """Lint ``text`` as if it were the file ``path``."""
    from ckptlint.engine.runner import lint_text
    from ckptlint.engine.unused import with_usage_rules

    selected = infos_for(path, settings) if rules is None else with_usage_rules(rules, rules_for(path, settings))
    return lint_text(text, path, selected, settings.project)


def fix_source(
    text: str,
    path: str,
    settings: Settings,
    *,
    unsafe_fixes: bool = False,
    rules: Optional[Sequence[Type[Rule]]] = None,
) -> "FixOutcome":
    """Apply fixes to ``text`` until nothing changes; the text is never made unparsable."""
    from ckptlint.engine.fixer import fix_text
    from ckptlint.engine.unused import with_usage_rules

    selected = infos_for(path, settings) if rules is None else with_usage_rules(rules, rules_for(path, settings))
    return fix_text(text, path, selected, settings.project, unsafe=unsafe_fixes)


def process_source(
    source: SourceFile, settings: Settings, mode: FixMode, unsafe_fixes: bool = False
) -> FileReport:
    """Lint (and in FIX/DIFF mode, fix) one decoded source."""
    report = FileReport(path=source.path, original=source.text, text=source.text)
    if mode is FixMode.CHECK:
        outcome = lint_source(source.text, source.path, settings)
        report.diagnostics, report.errors = outcome.diagnostics, outcome.errors
        return report
    fixed = fix_source(source.text, source.path, settings, unsafe_fixes=unsafe_fixes)
    report.diagnostics, report.errors = fixed.outcome.diagnostics, list(fixed.outcome.errors)
    if fixed.error is not None:
        report.errors.append(fixed.error)
    report.fixed, report.text = fixed.applied, fixed.text
    report.fixed_codes = list(fixed.fixed_codes)
    return report


def process_file(
    path: str,
    settings: Settings,
    mode: FixMode,
    unsafe_fixes: bool = False,
    cache: Optional["ResultCache"] = None,
) -> FileReport:
    """Read, lint (or fix and write back) one file; never raises."""
    if path.endswith(".ipynb"):
        from ckptlint.engine.notebook import process_notebook

        return process_notebook(path, settings, mode, unsafe_fixes)
    try:
        source = read_source(path, settings.max_file_size)
    except SourceError as exc:
        return FileReport(path=path, errors=[FileError(path, str(exc))])
    if not prefilter_disabled() and not needs_analysis(source.text, infos_for(path, settings), settings.project):
        return FileReport(path=path)  # no selected rule can fire here: not even parsed
    key = cache.key(path, source.text) if cache is not None and mode is FixMode.CHECK else None
    cached = cache.load(key, path) if cache is not None and key is not None else None
    if cached is not None:
        report = FileReport(path, cached[0], cached[1], original=source.text, text=source.text)
    else:
        report = process_source(source, settings, mode, unsafe_fixes)
        if cache is not None and key is not None and not any(e.internal for e in report.errors):
            cache.store(key, report.diagnostics, report.errors)
    if mode is FixMode.FIX and report.changed:
        try:
            write_source(source, report.text or "")
        except OSError as exc:
            report.errors.append(FileError(path, f"cannot write fixes: {exc.strerror or exc}"))
    if mode is FixMode.CHECK and not report.diagnostics:
        # Keep texts only where a reporter needs them, so the memory of a run
        # follows its largest file and its findings, not the whole corpus.
        report.original = report.text = None
    return report


def _process_guarded(path: str, settings: Settings, mode: FixMode, unsafe_fixes: bool, cache) -> FileReport:
    try:
        return process_file(path, settings, mode, unsafe_fixes, cache)
    except Exception as exc:  # the last per-file boundary, for workers
        return FileReport(path, errors=[FileError(path, f"{type(exc).__name__}: {exc}", internal=True)])


# Below this many files a process pool costs more than it saves.
PARALLEL_THRESHOLD = 8


def lint_paths(
    paths: Sequence[str],
    settings: Settings,
    mode: FixMode = FixMode.CHECK,
    unsafe_fixes: bool = False,
    *,
    jobs: int = 1,
    cache_dir: Optional[str] = None,
    progress: Optional[Callable[[int, int], None]] = None,
) -> RunReport:
    """Discover the files under ``paths`` and process each of them.

    With ``jobs`` > 1 the files are spread over worker processes; reports
    come back in discovery order, so the output never depends on ``jobs``.
    ``progress(done, total)`` is called after each file.
    """
    files = [path for path in discover(paths, settings) if path != "-"]
    cache = None
    if cache_dir is not None and mode is FixMode.CHECK:
        from ckptlint.engine.cache import ResultCache

        cache = ResultCache(cache_dir, settings)
    work = functools.partial(_process_guarded, settings=settings, mode=mode, unsafe_fixes=unsafe_fixes, cache=cache)
    if progress is not None:
        work = _counted(work, len(files), progress)
    if jobs <= 1 or len(files) < PARALLEL_THRESHOLD:
        return RunReport([work(path) for path in files])
    inner = functools.partial(_process_guarded, settings=settings, mode=mode, unsafe_fixes=unsafe_fixes, cache=cache)
    return RunReport(_process_in_pool(files, inner, jobs, progress))


def _process_in_pool(
    files: List[str],
    work: Callable[[str], FileReport],
    jobs: int,
    progress: Optional[Callable[[int, int], None]],
) -> List[FileReport]:
    """Process ``files`` on ``jobs`` worker processes; reports in the order of ``files``.

    Largest files go first, in small chunks, so that the run does not end with
    one worker still busy with a big file while the others idle; the reports
    are put back in discovery order afterwards.
    """
    import concurrent.futures
    import multiprocessing

    order = sorted(range(len(files)), key=lambda index: -_size(files[index]))
    chunksize = max(1, len(files) // (jobs * 64))
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    reports: List[Optional[FileReport]] = [None] * len(files)
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        results = pool.map(work, [files[index] for index in order], chunksize=chunksize)
        for done, (index, report) in enumerate(zip(order, results), start=1):
            reports[index] = report
            if progress is not None:
                progress(done, len(files))
    return [report for report in reports if report is not None]


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _counted(work: Callable[[str], FileReport], total: int, progress: Callable[[int, int], None]):
    done = [0]

    def counted(path: str) -> FileReport:
        report = work(path)
        done[0] += 1
        progress(done[0], total)
        return report

    return counted


@dataclass
class NoqaReport:
    added: int = 0
    skipped: List[str] = field(default_factory=list)  # "path:line: reason"
    errors: List[FileError] = field(default_factory=list)


def add_noqa_paths(paths: Sequence[str], settings: Settings) -> NoqaReport:
    """`--add-noqa`: write a `# noqa: CODE` for every finding, merging with existing ones."""
    from ckptlint.engine.noqa_writer import add_noqa

    result = NoqaReport()
    for path in discover(paths, settings):
        if path == "-":
            continue
        if path.endswith(".ipynb"):
            result.skipped.append(f"{path}: notebooks are not supported by --add-noqa")
            continue
        report = process_file(path, settings, FixMode.CHECK)
        result.errors.extend(report.errors)
        if not report.diagnostics or report.original is None:
            continue
        written = add_noqa(report.original, report.diagnostics)
        result.skipped.extend(f"{path}:{line}: {reason}" for line, reason in written.skipped)
        if not written.added:
            continue
        try:
            source = read_source(path, settings.max_file_size)
            if source.text != report.original:
                raise SourceError("the file changed while it was linted")
            write_source(source, written.text)
        except (OSError, SourceError) as exc:
            result.errors.append(FileError(path, f"cannot add noqa: {exc}"))
            continue
        result.added += written.added
    return result
