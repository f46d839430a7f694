"""A run over many files: discovery, then `process_file` for each, on worker
processes only when they pay. Each file is linted with its own project's
settings when the run has per-file configurations (`config.hierarchy`).

Whether workers pay is measured, not guessed (issue #19: `-j 2` was slower
than `-j 1` on a few dozen training scripts): the run starts in its own
process, in discovery order, and once it has spent `PROBE_SECONDS` it
estimates the time left from the bytes done so far; only when that exceeds
`POOL_PAYS_SECONDS` are the remaining files spread over the workers, largest
first. The workers are forked from a process that has by then imported the
analysis and built the summaries it met, so they start warm. A short run
never starts a pool, so `-j N` costs what `-j 1` costs there.
"""

from __future__ import annotations

import functools
import os
import time
from typing import TYPE_CHECKING, Callable, Dict, Iterator, List, Optional, Sequence

from ckptlint.config.settings import Settings
from ckptlint.engine.discovery import discover
from ckptlint.engine.session.collection import run_collection
from ckptlint.engine.session.process import keep_no_models, lint_next, process_guarded, start_run
from ckptlint.engine.session.report import FileReport, FixMode, RunReport

# Below this many files a process pool costs more than it saves.
PARALLEL_THRESHOLD = 8
# The run measures itself this long before it estimates the rest.
PROBE_SECONDS = 0.5
# Time left (estimated, in one process) below which workers do not pay: starting them, and
# sharing a small machine's cores, costs about this much.
POOL_PAYS_SECONDS = 3.0

Progress = Callable[[int, int], None]

if TYPE_CHECKING:
    from ckptlint.config.hierarchy import Configurations


@run_collection()
def lint_paths(
    paths: Sequence[str],
    settings: Settings,
    mode: FixMode = FixMode.CHECK,
    unsafe_fixes: bool = False,
    *,
    jobs: int = 1,
    cache_dir: Optional[str] = None,
    progress: Optional[Progress] = None,
    configurations: "Optional[Configurations]" = None,
) -> RunReport:
    """Discover the files under ``paths`` and process each of them.

    ``settings`` are the run's (discovery reads them); each file is linted with
    ``configurations.for_path(file)`` when given (which raises `ConfigError`
    here, before any file is linted, for a broken configuration), else with
    ``settings``. With ``jobs`` > 1 the files are spread over worker
    processes; reports come back in discovery order, so the output never
    depends on ``jobs``. ``progress(done, total)`` is called after each file.
    Python's cycle collector runs as a run wants it (`session.collection`).
    """
    files = [path for path in discover(paths, settings) if path != "-"]
    per_file = {path: configurations.for_path(path) for path in files} if configurations is not None else {}
    cache = None
    if cache_dir is not None and mode is FixMode.CHECK:
        from ckptlint.engine.cache import ResultCache

        cache = ResultCache(cache_dir, settings, per_file)
    start_run(files, lambda path: per_file.get(path, settings), cache.root if cache is not None else None)
    work = functools.partial(
        _process, settings=settings, per_file=per_file, mode=mode, unsafe_fixes=unsafe_fixes, cache=cache
    )
    if jobs <= 1 or len(files) < PARALLEL_THRESHOLD:
        return RunReport(_in_process(files, work, progress), unsafe_fixes)
    return RunReport(_adaptive(files, work, jobs, progress), unsafe_fixes)


def _process(
    path: str, settings: Settings, per_file: Dict[str, Settings], mode: FixMode, unsafe_fixes: bool, cache
) -> FileReport:  # type: ignore[no-untyped-def]
    return process_guarded(path, per_file.get(path, settings), mode, unsafe_fixes, cache)


def _in_process(files: List[str], work: Callable[[str], FileReport], progress: Optional[Progress]) -> List[FileReport]:
    reports: Dict[int, FileReport] = {}
    for index in _in_order(files, reports):
        reports[index] = work(files[index])
        if progress is not None:
            progress(len(reports), len(files))
    return [reports[index] for index in range(len(files))]


def _in_order(files: List[str], done: Dict[int, FileReport]) -> Iterator[int]:
    """The indexes of ``files`` not in ``done``, in order, but for a file whose model the run built
    for a summary (`lint_next`): that one comes next, while its model is kept."""
    where = {os.path.abspath(path): index for index, path in enumerate(files)}
    for index in range(len(files)):
        for path in lint_next():
            waiting = where.get(path)
            if waiting is not None and waiting not in done:
                yield waiting
        if index not in done:
            yield index


def _adaptive(files: List[str], work: Callable[[str], FileReport], jobs: int, progress: Optional[Progress]) -> List[FileReport]:
    """In this process while the time left looks too short for workers to pay; the rest on
    ``jobs`` workers otherwise. Reports in the order of ``files``."""
    sizes = [_size(path) for path in files]
    reports: Dict[int, FileReport] = {}
    started: Optional[float] = None
    done, left = 0, sum(sizes)
    for index in _in_order(files, reports):
        if started is not None and pool_pays(time.perf_counter() - started, done, left):
            rest = [i for i in range(len(files)) if i not in reports]
            pooled = _in_pool([files[i] for i in rest], work, jobs, _offset(progress, len(reports), len(files)))
            reports.update(zip(rest, pooled))
            break
        reports[index] = work(files[index])
        left -= sizes[index]
        if started is None:
            started = time.perf_counter()  # the first file pays for the imports: the clock starts after it
        else:
            done += sizes[index]
        if progress is not None:
            progress(len(reports), len(files))
    return [reports[index] for index in range(len(files))]


def pool_pays(elapsed: float, done: int, left: int) -> bool:
    """Whether the ``left`` bytes, at the rate of the ``done`` bytes that took ``elapsed`` seconds,
    would take long enough for workers to pay (asked once the run has measured itself)."""
    return elapsed >= PROBE_SECONDS and done > 0 and elapsed / done * left > POOL_PAYS_SECONDS


def _offset(progress: Optional[Progress], before: int, total: int) -> Optional[Progress]:
    """``progress`` for the files after the first ``before`` of ``total``."""
    if progress is None:
        return None
    return lambda done, _: progress(before + done, total)


def _in_pool(files: List[str], work: Callable[[str], FileReport], jobs: int, progress: Optional[Progress]) -> List[FileReport]:
    """Process ``files`` on ``jobs`` worker processes; reports in the order of ``files``.

    Largest files go first, in small chunks, so that the run does not end with
    one worker still busy with a big file while the others idle; the reports
    are put back in discovery order afterwards.
    """
    import concurrent.futures
    import multiprocessing

    keep_no_models()
    order = sorted(range(len(files)), key=lambda index: -_size(files[index]))
    chunksize = max(1, len(files) // (jobs * 16))
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
