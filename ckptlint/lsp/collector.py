"""Python's cycle collector, run when the server is idle rather than in the middle of a lint.

What a lint builds (the syntax tree, the semantic model and its facts, the
findings' fix builders) is held together by reference cycles, so the previous
version's analysis is freed only by the cycle collector. Left automatic, the
collector starts whenever enough objects were allocated, which is in the
middle of the next lint (or of a publish, on the event loop's thread): on a
1,000-line script, a full collection (mostly freeing the previous version's
tree) took 50-100 ms, paid on every second edit or so, on top of the lint.

The server turns automatic collection off and collects in a turn of the
worker thread, as one more job (`scheduler`), so a collection never runs
inside a lint:
- when it has been idle for `IDLE_SECONDS` (no lint scheduled: a pause in
  typing);
- before a lint, when `FORCE_AFTER_OBJECTS` container objects more were
  allocated than freed since the last collection (typing without a pause):
  memory stays bounded by a few versions' analyses.
"""

from __future__ import annotations

import gc

# A pause this long in the edits is idle time: the collection runs then.
IDLE_SECONDS = 0.5
# Net container objects allocated since the last collection (`gc.get_count()[0]`, which goes on
# counting while automatic collection is off) that make a collection run before the next lint.
# One lint of a 1,000-line script adds ~60,000, of a 500-line one ~25,000.
FORCE_AFTER_OBJECTS = 250_000
COLLECT_KEY = "collect"  # the scheduler's key of the idle collection


class Collector:
    def __init__(self) -> None:
        self.manual = False

    def take_over(self) -> None:
        """Turn automatic collection off for the rest of the process (the server's own)."""
        gc.disable()
        self.manual = True

    def due(self) -> bool:
        """Whether so much was allocated since the last collection that it cannot wait for idle time."""
        return self.manual and gc.get_count()[0] >= FORCE_AFTER_OBJECTS

    def collect(self) -> None:
        """One full collection (in the worker thread, in a turn)."""
        if self.manual:
            gc.collect()
