"""One file through the pipeline: read → pre-filter → cache → analysis → write.

Every source kind (a `.py` file, a notebook, stdin, an editor's buffer) goes
through `process_document`, which does no file I/O beyond the cache;
`process_file` adds reading the file once and, with `FixMode.FIX`, writing it
back. A report counts only fixes that are in the file's new content: when a
write fails (the file changed meanwhile, or cannot be written), the file is
left as it was and its report shows it as it is.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Sequence

from ckptlint.config.settings import ProjectSettings, Settings
from ckptlint.diagnostics import UNSUPPORTED_SYNTAX, FileError
from ckptlint.engine.analysis import fix_source, lint_source
from ckptlint.engine.prefilter import file_words, needs_analysis, prefilter_disabled
from ckptlint.engine.selection import infos_for
from ckptlint.engine.session.documents import Document, read_document
from ckptlint.engine.session.notebook import UnsupportedEdit
from ckptlint.engine.session.report import FileReport, FixMode
from ckptlint.engine.source import SourceError, write_source

if TYPE_CHECKING:
    from ckptlint.engine.cache import ResultCache
    from ckptlint.semantic.program.index import ProjectIndex
    from ckptlint.semantic.program.view import FileView


def can_matter(document: Document, settings: Settings, view: "Optional[FileView]" = None) -> bool:
    """Whether any rule selected for the file can fire on its code, or on what it imports from its
    project (else it is not even parsed)."""
    return text_can_matter(document.text, document.path, settings, view)


def text_can_matter(text: str, path: str, settings: Settings, view: "Optional[FileView]") -> bool:
    if prefilter_disabled():
        return True
    return needs_analysis(file_words(text, view), infos_for(path, settings), settings.project)


def project_index(project: ProjectSettings, cache_dir: Optional[str] = None) -> "Optional[ProjectIndex]":
    """The index the files of ``project`` are linted with (summaries kept under ``cache_dir``
    when given); None for a text outside a project, or with `CKPTLINT_NO_INDEX=1` (every file
    linted alone, for comparisons)."""
    if not project.root or os.environ.get("CKPTLINT_NO_INDEX") == "1":
        return None
    from ckptlint.semantic.program.index import index_for

    return index_for(project, cache_dir)


def project_view(path: str, settings: Settings, cache_dir: Optional[str] = None) -> "Optional[FileView]":
    """How the file ``path`` sees the other modules of its project (`project_index`)."""
    index = project_index(settings.project, cache_dir) if path != "-" else None
    return index.view(path) if index is not None else None


def process_document(
    document: Document,
    settings: Settings,
    mode: FixMode = FixMode.CHECK,
    unsafe_fixes: bool = False,
    cache: "Optional[ResultCache]" = None,
) -> FileReport:
    """Lint (and in FIX/DIFF mode, fix) one document; writes nothing."""
    report = FileReport(path=document.path, original=document.content, text=document.content)
    view = project_view(document.path, settings, cache.root if cache is not None else None)
    if not can_matter(document, settings, view):
        return report
    final = document
    if mode is FixMode.CHECK:
        diagnostics, errors = _check(document, settings, cache, view)
    else:
        fixed = fix_source(document.text, document.path, settings, unsafe_fixes=unsafe_fixes, view=view)
        diagnostics, errors = fixed.outcome.diagnostics, list(fixed.outcome.errors)
        if fixed.error is not None:
            errors.append(fixed.error)
        try:
            final = document.updated(fixed.text)
        except UnsupportedEdit as exc:
            diagnostics, errors = _check(document, settings, None, view)  # the findings of what stays
            errors.append(FileError(document.path, str(exc), kind=UNSUPPORTED_SYNTAX))
        else:
            report.fixed, report.fixed_codes = fixed.applied, list(fixed.fixed_codes)
    report.text = final.content
    report.diagnostics = [final.to_user(d) for d in diagnostics]
    report.errors = [final.error_to_user(e) for e in errors]
    report.cell_texts = final.cell_texts()
    return report


def _check(document: Document, settings: Settings, cache: "Optional[ResultCache]", view: "Optional[FileView]"):
    key = cache.key(document.path, document.text) if cache is not None else None
    digest_of = view.digest if view is not None else None
    cached = cache.load(key, document.path, digest_of) if cache is not None and key is not None else None
    if cached is not None:
        return cached
    outcome = lint_source(document.text, document.path, settings, view=view)
    if cache is not None and key is not None and not any(e.internal for e in outcome.errors):
        cache.store(key, document.path, outcome.diagnostics, outcome.errors, _read_by(view, outcome.view))
    return outcome.diagnostics, list(outcome.errors)


def _read_by(view: "Optional[FileView]", model_view: "Optional[FileView]") -> Optional[Dict[str, str]]:
    """The module files a lint read: through ``view`` (the pre-filter's walk, and the facts) and
    through ``model_view``, the view a model built earlier for the file's summary reads through
    (`FileView.own_model`); None without a project."""
    views = [found for found in (view, model_view) if found is not None]
    if not views:
        return None
    reads: Dict[str, str] = {}
    for found in views:
        reads.update(found.reads)
    return reads


def start_run(
    files: Sequence[str] = (), settings_of: Optional[Callable[[str], Settings]] = None, cache_dir: Optional[str] = None
) -> None:
    """A run over ``files`` (each linted with ``settings_of(file)``, summaries kept under
    ``cache_dir``) starts: the project indexes look at the module files they read again, once
    each, and keep the model of one of ``files`` they parse for a summary, when its lint will
    analyse it, for that lint (`lint_next`)."""
    from ckptlint.semantic.program.index import new_run

    def analysed(path: str, text: str) -> bool:
        settings = settings_of(path)  # type: ignore[misc]
        return text_can_matter(text, path, settings, project_view(path, settings, cache_dir))

    new_run(files, analysed if settings_of is not None else None)


def _index_module():  # type: ignore[no-untyped-def]
    """The project index's module if a file of this run had a project (else nothing is kept)."""
    return sys.modules.get("ckptlint.semantic.program.index")


def keep_no_models() -> None:
    """The rest of the run is spread over worker processes, each linting the files it is handed:
    no model is kept for a file that another worker may lint."""
    index = _index_module()
    if index is not None:
        index.keep_no_models()


def lint_next() -> List[str]:
    """The run's files whose models were built for summaries and are kept for their lints: linted
    next, each is parsed once in the run."""
    index = _index_module()
    return index.waiting_files() if index is not None else []


def _linted(path: str) -> None:
    """The run is done with ``path``: a model kept for its lint, unused (its text needed no
    analysis, or came from the cache), is let go, and the facts of other modules its lint
    computed are written to the disk cache."""
    index = _index_module()
    if index is not None:
        index.release_model(path)
        index.store_grown()


def process_file(
    path: str,
    settings: Settings,
    mode: FixMode = FixMode.CHECK,
    unsafe_fixes: bool = False,
    cache: "Optional[ResultCache]" = None,
) -> FileReport:
    """Read, lint (or fix and write back) one file, as a run of its own; never raises for a bad file."""
    start_run()
    return _process_file(path, settings, mode, unsafe_fixes, cache)


def _process_file(
    path: str, settings: Settings, mode: FixMode, unsafe_fixes: bool, cache: "Optional[ResultCache]"
) -> FileReport:
    try:
        return _process_read(path, settings, mode, unsafe_fixes, cache)
    finally:
        _linted(path)


def _process_read(
    path: str, settings: Settings, mode: FixMode, unsafe_fixes: bool, cache: "Optional[ResultCache]"
) -> FileReport:
    try:
        document = read_document(path, settings.max_file_size)
    except SourceError as exc:
        return FileReport(path=path, errors=[FileError(path, str(exc))])
    report = process_document(document, settings, mode, unsafe_fixes, cache if mode is FixMode.CHECK else None)
    if mode is FixMode.FIX and report.changed:
        try:
            write_source(document.source, report.text or "")
            _changed_on_disk(path)
        except OSError as exc:
            report = process_document(document, settings, FixMode.CHECK)  # the file as it stays
            report.errors.append(FileError(path, f"cannot write fixes: {exc.strerror or exc}"))
    if mode is FixMode.CHECK and not report.diagnostics and not report.errors:
        # Keep texts only where a reporter needs them, so the memory of a run
        # follows its largest file and its findings, not the whole corpus.
        report.original = report.text = report.cell_texts = None
    return report


def _changed_on_disk(path: str) -> None:
    """The run wrote ``path``: the files linted after it read its new text."""
    from ckptlint.semantic.program.index import reread_file

    reread_file(path)


def process_guarded(path: str, settings: Settings, mode: FixMode, unsafe_fixes: bool, cache) -> FileReport:
    """`process_file` within a run (`start_run` called), with the last per-file boundary (for
    worker processes)."""
    try:
        return _process_file(path, settings, mode, unsafe_fixes, cache)
    except Exception as exc:
        return FileReport(path, errors=[FileError(path, f"{type(exc).__name__}: {exc}", internal=True)])
