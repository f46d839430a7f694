"""Print the table of the execution harness: each bad fixture before and after
`ckptlint check --fix --unsafe-fixes`, what broke, and how long it took.

    python tests/execution/report.py [--jobs N]

`--jobs 2` runs two fixtures at a time (each run is one or two processes).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import List, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from job_launch import REPO  # noqa: E402
from resume_check import JOBS, Job, Verdict, check, fixed_copies  # noqa: E402


def _both(job: Job, fixed: Path, work: Path) -> Tuple[Job, Verdict, Verdict]:
    before = check(job, REPO / "fixtures" / "bad" / f"{job.name}.py", work / job.name / "before")
    after = check(job, fixed / f"{job.name}.py", work / job.name / "after")
    return job, before, after


def _cell(verdict: Verdict) -> str:
    return "bit-exact" if verdict.bit_exact else verdict.reason.replace("|", "\\|")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=1)
    jobs = parser.parse_args().jobs
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        fixed = work / "fixed"
        fixed_copies(REPO / "fixtures" / "bad", fixed)
        with ThreadPoolExecutor(jobs) as pool:
            rows: List[Tuple[Job, Verdict, Verdict]] = list(pool.map(lambda job: _both(job, fixed, work), JOBS))
    print("| fixture | processes the harness starts | before the fix | after `--fix --unsafe-fixes` | run time (6 runs) |")
    print("|---|---|---|---|---|")
    for job, before, after in rows:
        seconds = before.seconds + after.seconds
        print(f"| {job.name} | {job.world} | {_cell(before)} | {_cell(after)} | {seconds:.1f} s |")
    print(f"\ntotal {time.monotonic() - started:.1f} s with {jobs} at a time")


if __name__ == "__main__":
    main()
