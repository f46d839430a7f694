"""The language server's scheduler: one lint at a time, superseded work stops or never starts."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

pytest.importorskip("pygls", reason="the `lsp` extra (pygls) is not installed")

from ckptlint.engine.options import Cancelled, LintOptions  # noqa: E402
from ckptlint.lsp.scheduler import Job, Scheduler  # noqa: E402


def _run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 20))


def test_a_superseded_running_lint_stops_and_the_next_starts_after_it():
    scheduler = Scheduler()
    events = []
    started = threading.Event()

    def slow_lint(options: LintOptions) -> str:
        started.set()
        for _ in range(2000):  # a lint's checkpoints, 1 ms apart
            options.checkpoint()
            time.sleep(0.001)
        return "finished"

    async def lint(job: Job, name: str) -> None:
        async with scheduler.turn(job):
            events.append(f"start {name}")
            try:
                result = await scheduler.call(slow_lint if name == "first" else (lambda o: "done"), LintOptions(cancelled=job.stop.is_set))
            except Cancelled:
                events.append(f"stopped {name}")
                return
            events.append(f"{result} {name}")

    async def scenario():
        first = scheduler.schedule("a.py", 0, lambda job: lint(job, "first"))
        while not started.is_set():
            await asyncio.sleep(0.005)
        second = scheduler.schedule("a.py", 0, lambda job: lint(job, "second"))
        await asyncio.wait({first.task, second.task})

    _run(scenario())
    assert events == ["start first", "stopped first", "start second", "done second"]


def test_work_superseded_while_waiting_for_its_turn_never_runs():
    scheduler = Scheduler()
    ran = []
    release = threading.Event()

    async def work(job: Job, name: str, block: bool = False) -> None:
        async with scheduler.turn(job):
            ran.append(name)
            if block:
                await scheduler.call(release.wait, 10)

    async def scenario():
        blocker = scheduler.schedule("other.py", 0, lambda job: work(job, "other", block=True))
        await asyncio.sleep(0.05)
        stale = [scheduler.schedule("a.py", 0, lambda job, v=v: work(job, f"a v{v}")) for v in range(1, 5)]
        await asyncio.sleep(0.05)
        release.set()
        await asyncio.wait({blocker.task, *(job.task for job in stale)})

    _run(scenario())
    assert ran == ["other", "a v4"]  # versions 1-3 were never linted


def test_the_debounce_coalesces_a_burst():
    scheduler = Scheduler()
    ran = []

    async def work(job: Job, name: str) -> None:
        async with scheduler.turn(job):
            ran.append(name)

    async def scenario():
        jobs = [scheduler.schedule("a.py", 0.05, lambda job, v=v: work(job, v)) for v in range(5)]
        await asyncio.wait({job.task for job in jobs})

    _run(scenario())
    assert ran == [4]
