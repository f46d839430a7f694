"""How fast this machine is while a benchmark runs, printed beside its absolute timings.

This VM's speed swings by up to 2x within minutes, idle or not: on 2026-12-07
the probe below read from 92 to 160 ms within one idle minute. A ratio
measured in one run cancels that out; an absolute target (a language
server's milliseconds, the pre-commit case's seconds) does not. So the
benchmarks print, at their start and end, the load average and the time of a
fixed loop of plain Python: it tells at which speed the absolute numbers were
taken.
"""

from __future__ import annotations

import os
import time

PROBE_STEPS = 3_000_000


def speed_probe() -> float:
    """Milliseconds of a fixed loop of plain Python, the best of three."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        total = 0
        for step in range(PROBE_STEPS):
            total += step
        best = min(best, time.perf_counter() - start)
    return best * 1000


def state(when: str) -> str:
    """The machine ``when`` (at start, at end): its load average and the speed probe."""
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"load average {when}: {load}; speed probe {speed_probe():.0f} ms (a {PROBE_STEPS:,}-step Python loop)"
