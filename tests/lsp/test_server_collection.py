"""The server's cycle collection: never inside a lint, never ahead of a lint waiting for its turn."""

from __future__ import annotations

import asyncio
import gc
import subprocess
import sys
import threading

import pytest

pytest.importorskip("pygls", reason="the `lsp` extra (pygls) is not installed")

from ckptlint.lsp.collector import DUE_KEY, IDLE_KEY  # noqa: E402
from ckptlint.lsp.scheduler import Job  # noqa: E402
from ckptlint.lsp.server import CkptlintServer  # noqa: E402


class _Worker:
    """A server whose collections and lints only record what ran, in the order they ran; a lint
    named with ``block`` holds its turn until `release` is set."""

    def __init__(self) -> None:
        self.server = CkptlintServer()
        self.scheduler = self.server.scheduler
        self.events: list = []
        self.release = threading.Event()
        self.server.collector.collect = lambda: self.events.append("collect")  # type: ignore[method-assign]

    async def lint(self, job: Job, name: str, block: bool = False) -> None:
        async with self.scheduler.turn(job):
            self.events.append(f"start {name}")
            if block:
                await self.scheduler.call(self.release.wait, 10)
            self.events.append(f"end {name}")
        self.server.collector.lint_ended()  # as the server's lints do, after their publish


def test_a_collection_waits_for_the_lints_scheduled_before_it_gets_a_free_turn():
    worker = _Worker()
    scheduler = worker.scheduler

    async def scenario():
        running = scheduler.schedule("a.py", 0, lambda job: worker.lint(job, "v1", block=True))
        await asyncio.sleep(0.05)
        collection = scheduler.schedule(DUE_KEY, 0, worker.server.collector._collect)  # queued for the turn first
        await asyncio.sleep(0.01)
        waiting = scheduler.schedule("b.py", 0, lambda job: worker.lint(job, "b"))  # queued after it
        await asyncio.sleep(0.05)
        worker.release.set()
        await asyncio.wait({running.task, collection.task, waiting.task})

    asyncio.run(asyncio.wait_for(scenario(), 20))
    assert worker.events == ["start v1", "end v1", "start b", "end b", "collect"]


def test_scheduling_a_lint_postpones_the_idle_collection(monkeypatch):
    monkeypatch.setattr("ckptlint.lsp.collector.IDLE_SECONDS", 0.2)
    server = CkptlintServer()
    server.collector.manual = True  # as `serve` makes it, without turning this process's collector off
    events = []
    server.collector.collect = lambda: events.append("collect")  # type: ignore[method-assign]

    async def lint(job: Job, uri: str) -> None:
        async with server.scheduler.turn(job):
            events.append(f"lint {uri}")

    server._lint = lint  # type: ignore[method-assign]

    async def scenario():
        server.schedule("a.py", 0)
        first_idle = server.scheduler.jobs[IDLE_KEY]
        await asyncio.sleep(0.1)  # less than the idle time
        last = server.schedule("a.py", 0)
        second_idle = server.scheduler.jobs[IDLE_KEY]
        assert second_idle is not first_idle  # the idle time starts again from the last lint
        await asyncio.wait({last.task, second_idle.task})

    asyncio.run(asyncio.wait_for(scenario(), 20))
    assert events == ["lint a.py", "lint a.py", "collect"]  # none between: the first idle time was cut short


def test_the_server_process_collects_by_hand_with_the_analysis_frozen():
    script = (
        "import gc\n"
        "from ckptlint.lsp.collector import Collector\n"
        "from ckptlint.lsp.scheduler import Scheduler\n"
        "collector = Collector(Scheduler())\n"
        "collector.take_over()\n"
        "collector.warm_up()\n"
        "import ckptlint.rules.registry, ckptlint.engine.runner, libcst\n"
        "assert not gc.isenabled()\n"
        "frozen = gc.get_freeze_count()\n"
        "live = len(gc.get_objects())\n"
        "assert frozen > live, (frozen, live)\n"  # the modules' objects are out of every collection
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    assert gc.isenabled()  # this process is untouched


def test_a_due_collection_waiting_for_a_lint_lets_the_next_edit_go_first(monkeypatch):
    monkeypatch.setattr("ckptlint.lsp.collector.DUE_GRACE_SECONDS", 0.2)
    worker = _Worker()
    worker.server.collector.manual = True
    scheduler = worker.scheduler

    async def scenario():
        first = scheduler.schedule("a.py", 0, lambda job: worker.lint(job, "v1", block=True))
        await asyncio.sleep(0.05)
        collection = scheduler.schedule(DUE_KEY, 0, worker.server.collector._collect)  # waits for the turn
        await asyncio.sleep(0.01)
        worker.release.set()
        await asyncio.wait({first.task})
        await asyncio.sleep(0.02)  # the next edit comes 20 ms after the publish
        second = scheduler.schedule("a.py", 0, lambda job: worker.lint(job, "v2"))
        await asyncio.wait({second.task, collection.task})

    asyncio.run(asyncio.wait_for(scenario(), 20))
    assert worker.events == ["start v1", "end v1", "start v2", "end v2", "collect"]


def test_a_result_replaced_by_a_newer_version_lets_its_model_go():
    """Code actions read only the document's current result: the one it replaces will never
    build a fix, so its lint's model is closed (and freed by reference counting)."""
    from ckptlint.lsp.server import Linted

    server = CkptlintServer()
    closed: list = []

    def linted(version: int) -> Linted:
        return Linted(version, "x = 1\n", "/tmp/a.py", [], close=lambda: closed.append(version))

    first, second = linted(1), linted(2)
    server._keep("file:///tmp/a.py", first)
    assert closed == []
    server._keep("file:///tmp/a.py", first)  # the same result again: still wanted
    assert closed == []
    server._keep("file:///tmp/a.py", second)
    assert closed == [1] and server.results["file:///tmp/a.py"] is second
