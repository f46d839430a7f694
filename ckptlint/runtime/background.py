"""The background writer of asynchronous saves, and the handle a save returns.

One write at a time per process: a save first waits for the previous one
(so at most one extra copy of the state is in memory, as with DCP's
``async_save`` used as documented), then starts a new non-daemon thread.
What a failed write becomes:

* the next ``save_checkpoint`` / ``CheckpointManager.save`` (on every rank:
  rank 0's failure travels with the RNG gather every save does),
  ``AsyncSave.wait()`` and ``CheckpointManager.wait()`` / ``close()`` raise it,
  once;
* at interpreter exit the thread is joined (Python joins non-daemon threads
  before ``atexit`` handlers run), so the last write completes; if it failed
  and nobody asked, a RuntimeWarning says so on stderr. The exit code cannot
  be changed from there: call ``wait()`` (or close the manager) to see it.

Torch-free: only threads.
"""

from __future__ import annotations

import atexit
import threading
import warnings
from typing import Callable, Optional

from .distributed import run_on_main
from .errors import CheckpointError

__all__ = ["AsyncSave", "start", "finish_previous", "pending_path"]


class _Job:
    def __init__(self, path: str, work: Callable[[], None]) -> None:
        self.path = path
        self.error: Optional[BaseException] = None
        self.reported = False
        self.thread = threading.Thread(target=self._run, args=(work,), daemon=False,
                                       name=f"ckptlint-async-save {path}")

    def _run(self, work: Callable[[], None]) -> None:
        try:
            work()
        except BaseException as exc:  # kept for the next call on the training thread
            self.error = exc


_current: Optional[_Job] = None
_guard = threading.Lock()


def start(path: str, work: Callable[[], None]) -> None:
    """Run ``work`` (which writes ``path``) on a new thread; the previous job must be finished."""
    global _current
    with _guard:
        if _current is not None and _current.thread.is_alive():
            raise RuntimeError("finish_previous() must run before a new asynchronous save")
        _current = _Job(path, work)
        _current.thread.start()


def pending_path() -> Optional[str]:
    """The path being written in the background right now, if any."""
    job = _current
    return job.path if job is not None and job.thread.is_alive() else None


def _as_error(job: _Job) -> BaseException:
    error = job.error
    if isinstance(error, CheckpointError):  # ours already name the path and the cause
        return error
    wrapped = CheckpointError(f"the asynchronous save of {job.path} failed: "
                              f"{type(error).__name__}: {error}")
    wrapped.__cause__ = error
    return wrapped


def finish_previous() -> Optional[BaseException]:
    """Wait for the running job; return its failure once (later calls return None)."""
    job = _current
    if job is None:
        return None
    job.thread.join()
    if job.error is None or job.reported:
        return None
    job.reported = True
    return _as_error(job)


def _raise_previous() -> None:
    error = finish_previous()
    if error is not None:
        raise error


class AsyncSave:
    """What an asynchronous save returns: ``path``, ``done()`` and ``wait()``.

    Under a process group only rank 0 writes; on the other ranks ``done()``
    is always True, and ``wait()`` is a collective (every rank calls it) so
    that a failure on rank 0 raises on every rank.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._job = _current

    def done(self) -> bool:
        """True once the write finished here (successfully or not)."""
        return self._job is None or not self._job.thread.is_alive()

    def wait(self) -> str:
        """Block until the checkpoint is durable; raise (on every rank) if the write failed."""
        run_on_main(_raise_previous, f"finish the asynchronous save of {self.path}")
        return self.path

    def __repr__(self) -> str:
        return f"AsyncSave({self.path!r}, done={self.done()})"


@atexit.register
def _report_unawaited_failure() -> None:
    job = _current
    if job is not None and job.error is not None and not job.reported:
        warnings.warn(f"the asynchronous save of {job.path} failed and nobody waited for it: "
                      f"{type(job.error).__name__}: {job.error}", RuntimeWarning, stacklevel=1)
