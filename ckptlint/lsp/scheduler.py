"""One lint at a time, and never a stale one.

All analysis runs on one worker thread, one *turn* at a time (an asyncio
lock, first come first served), so the event loop stays responsive and lints
never compete with each other for the two cores of a small machine. Work is
scheduled as a *job* under a key (a document's URI): scheduling a key again
supersedes its job:
- a job still waiting (for its delay, or for its turn) is cancelled and never
  runs, so no stale work is ever queued;
- a job in its turn has its `stop` event set: the lint in the worker thread
  reads it at its next checkpoint (`engine.options.LintOptions.cancelled`)
  and ends with `Cancelled`, and the turn passes to the next job.
A job reads what it works on (the document's text) when its turn starts, so
it always works on the newest text.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, AsyncIterator, Awaitable, Callable, Collection, Dict, List, Optional, TypeVar

T = TypeVar("T")


class Job:
    def __init__(self, key: str) -> None:
        self.key = key
        self.stop = threading.Event()
        self.in_turn = False
        self.task: "Optional[asyncio.Task[None]]" = None


class Scheduler:
    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ckptlint-lint")
        self._turn: Optional[asyncio.Lock] = None  # made in the event loop's thread, on first use
        self.jobs: Dict[str, Job] = {}

    def schedule(self, key: str, delay: float, work: Callable[[Job], Awaitable[None]]) -> Job:
        """Run ``work(job)`` after ``delay`` seconds, superseding ``key``'s previous job."""
        self.supersede(key)
        job = Job(key)
        job.task = asyncio.get_running_loop().create_task(self._run(job, delay, work))
        self.jobs[key] = job
        return job

    def supersede(self, key: str) -> None:
        job = self.jobs.pop(key, None)
        if job is None:
            return
        if job.in_turn:
            job.stop.set()  # stops at its next checkpoint; the task ends by itself
        elif job.task is not None:
            job.task.cancel()

    def busy(self, key: str) -> bool:
        return key in self.jobs

    def others(self, keys: Collection[str]) -> List[Job]:
        """The jobs scheduled under keys other than ``keys`` (waiting for their delay or their turn,
        or in it)."""
        return [job for key, job in self.jobs.items() if key not in keys]

    async def _run(self, job: Job, delay: float, work: Callable[[Job], Awaitable[None]]) -> None:
        try:
            if delay:
                await asyncio.sleep(delay)
            await work(job)
        except asyncio.CancelledError:
            return
        finally:
            if self.jobs.get(job.key) is job:
                del self.jobs[job.key]

    @contextlib.asynccontextmanager
    async def turn(self, job: Job) -> AsyncIterator[None]:
        """Hold the worker thread for ``job`` (waiting for the jobs before it)."""
        if self._turn is None:
            self._turn = asyncio.Lock()
        async with self._turn:
            job.in_turn = True
            try:
                yield
            finally:
                job.in_turn = False

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` on the worker thread (inside a turn)."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    async def wait(self, key: str) -> None:
        """Until ``key``'s current job (if any) has finished, whatever became of it."""
        job = self.jobs.get(key)
        if job is not None:
            await self.wait_all([job])

    @staticmethod
    async def wait_all(jobs: List[Job]) -> None:
        """Until each of ``jobs`` has finished, whatever became of it."""
        tasks = {job.task for job in jobs if job.task is not None}
        if tasks:
            await asyncio.wait(tasks)
