"""Python's cycle collector, kept out of the lints.

What a lint builds (the syntax tree, the semantic model and its facts, the
findings' fix builders) is held together by reference cycles until the server
closes the lint's model, once the document has a newer result or the lint was
superseded (`LintOutcome.close`): then it is freed by reference counting, and
a lint leaves a few thousand objects for the collector instead of some 75,000
(the synthetic 1,000-line script; 24 lints without a collection peak at 74 MiB
instead of 264). Cycles of what the server keeps longer remain. Left automatic, the
collector starts whenever enough objects were allocated, which is in the
middle of the next lint (or of a publish, on the event loop's thread), and
each full collection walks every object alive, most of them the modules' own
(functions, classes, libcst's and lsprotocol's types): on the synthetic
1,000-line script of `benchmarks/bench_lsp.py`, 50-100 ms, paid on every
second edit or so, on top of the lint.

So the server:
- turns automatic collection off (`take_over`);
- once the analysis modules are imported (`warm_up`, the worker's first
  job), moves everything alive then out of the collector's sight
  (`gc.freeze`): what lives as long as the process is never walked again,
  and a full collection walks only the open documents' analyses and the
  garbage (on the synthetic script, ~25 ms instead of ~70; on a 500-line
  training script ~6 ms instead of ~40);
- collects in a turn of the worker thread, as a job of its own
  (`scheduler`), never inside a lint: after a lint once `DUE_OBJECTS` more
  container objects were allocated than freed (a dozen lints' worth), in the
  first turn no other work waits for, `DUE_GRACE_SECONDS` after the last
  publish (an edit that follows, a lint scheduled meanwhile, or the code
  actions a client asks for on new diagnostics go first, so the collection
  lands between two keystrokes); when the server
  has been idle for `IDLE_SECONDS`; and before a lint once `FORCED_OBJECTS`
  or `FORCED_LINTS` lints' garbage piled up (edits faster than the lints
  finish leave no turn free).
  Memory stays bounded by the open documents' current analyses. Summaries of other
  modules, built in the background, and fix-all run with automatic
  collection.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import time
from typing import Iterator

from ckptlint.lsp.scheduler import Job, Scheduler

# A pause this long in the edits is idle time: a collection runs then.
IDLE_SECONDS = 0.5
# Net container objects allocated since the last collection (`gc.get_count()[0]`, which goes on
# counting while automatic collection is off, and counts down as objects are freed). With the
# lints' models closed, one lint leaves ~1,500 on the synthetic 1,000-line script (~60,000 with
# them open): a collection is due after a dozen lints or so.
DUE_OBJECTS = 20_000
# A due collection waits this long after a publish: what a client asks right after new diagnostics
# (the code actions at the cursor, in VS Code) is answered first.
DUE_GRACE_SECONDS = 0.15
FORCED_OBJECTS = 150_000
# ... or this many lints ended since it (the count misses what is not a container, which cyclic
# garbage may hold: a 950-line script's open model held ~2.5 MB). Closed models leave next to
# nothing: a forced collection (25-50 ms on the synthetic script, in the turn of the lint that
# follows, which waits for it) is kept for what stays cyclic.
FORCED_LINTS = 30
# The scheduler's keys of this module's jobs (`scheduler.Scheduler.schedule`).
IDLE_KEY = "collect:idle"
DUE_KEY = "collect:due"
WARM_UP_KEY = "warm-up"
COLLECTIONS = (IDLE_KEY, DUE_KEY)
# A text that makes a lint import what every lint needs (the engine, the model, libcst).
_WARM_UP_TEXT = "import torch\n\ntorch.save(model.state_dict(), 'model.pt')\nstate = torch.load('model.pt')\n"


class Collector:
    """The server's collections, as jobs of its ``scheduler`` (the hooks below are called in the
    event loop's thread; `collect`, `warm_up` and `automatic` run in the worker thread)."""

    def __init__(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler
        self.manual = False
        self._lint_ended = 0.0  # `time.monotonic()` when the last lint ended
        self._uncollected = 0  # lints ended since the last collection

    # -- the server's hooks --------------------------------------------

    def take_over(self) -> None:
        """Turn automatic collection off for the rest of the process (the server's own)."""
        gc.disable()
        self.manual = True

    def start(self) -> None:
        """The worker's first job: import the analysis and freeze what lives as long as the process."""
        if self.manual:
            self.scheduler.schedule(WARM_UP_KEY, 0, self._warm_up)

    def lint_scheduled(self) -> None:
        """The server is busy again: the idle collection waits for the next pause."""
        if self.manual:
            self.scheduler.schedule(IDLE_KEY, IDLE_SECONDS, self._collect)

    def lint_ended(self) -> None:
        """After a lint (published, superseded or failed): a collection in a free turn, if due."""
        self._lint_ended = time.monotonic()
        self._uncollected += 1
        if self.due() and not self.scheduler.busy(DUE_KEY):
            self.scheduler.schedule(DUE_KEY, DUE_GRACE_SECONDS, self._collect)

    def before_lint(self) -> None:
        """In a lint's turn, before it starts (worker thread): the collection that could not wait."""
        if self.manual and (gc.get_count()[0] >= FORCED_OBJECTS or self._uncollected >= FORCED_LINTS):
            self.collect()

    # -- the jobs --------------------------------------------------------

    async def _warm_up(self, job: Job) -> None:
        async with self.scheduler.turn(job):
            await self.scheduler.call(self.warm_up)

    async def _collect(self, job: Job) -> None:
        """Collect in the first turn no other work waits for (a due collection: and once no lint
        ended for `DUE_GRACE_SECONDS`)."""
        while True:
            async with self.scheduler.turn(job):
                waiting = self.scheduler.others(COLLECTIONS)
                early = DUE_GRACE_SECONDS - (time.monotonic() - self._lint_ended) if job.key == DUE_KEY else 0
                if not waiting and early <= 0:
                    await self.scheduler.call(self.collect)
                    return
            if waiting:
                await self.scheduler.wait_all(waiting)
            else:
                await asyncio.sleep(early)  # a publish just now: the client's requests go first

    # -- in the worker thread ------------------------------------------

    def warm_up(self) -> None:
        """Import the analysis (every rule, and what a lint of a small script imports), collect, and
        freeze what is alive."""
        if not self.manual:
            return
        from ckptlint.api import lint_source
        from ckptlint.config.loader import build_settings
        from ckptlint.rules import registry  # noqa: F401  every rule's module

        lint_source(_WARM_UP_TEXT, "warm_up.py", build_settings({}, root=os.getcwd()))
        gc.collect()
        gc.freeze()

    def due(self) -> bool:
        """Whether a lint's worth was allocated since the last collection (collect in a free turn)."""
        return self.manual and gc.get_count()[0] >= DUE_OBJECTS

    @contextlib.contextmanager
    def automatic(self) -> Iterator[None]:
        """Automatic collection, for background work nobody waits for (a project's summaries: one
        parse each, back to back, whose garbage would otherwise pile up until the next lint)."""
        if self.manual:
            gc.enable()
        try:
            yield
        finally:
            if self.manual:
                gc.disable()

    def collect(self) -> None:
        """One full collection."""
        if self.manual:
            gc.collect()
            self._uncollected = 0
