"""Two builds of ckptlint side by side: cold lint time of the same files, in one run.

    python benchmarks/build_corpus.py          # once
    git worktree add --detach /tmp/before <commit>
    python benchmarks/bench_builds.py --before /tmp/before [--after .] [--max-lines 250000] [--rounds 2]

A change that claims "no slower than before" (issue #16: cold lint of the corpus) is
measured here: each round runs the before build and the after build once each,
alternating which goes first, in fresh processes (`python -m ckptlint FILES --select
ALL --isolated --no-cache -j 1`, each build imported from its own checkout through PYTHONPATH,
with bytecode as pip installs it). The machine's speed drifts by tens of percent over
minutes, so only the ratio of runs made in the same round means anything; the best of
each build over the rounds is reported, and the ratio of those.
"""

from __future__ import annotations

import argparse
import compileall
import os
import sys
import tempfile
from typing import Dict, List

from bench_lint import ENV, HERE, REPO, corpus_files, run_measured, sample


def lint_command(files: List[str]) -> List[str]:
    return [sys.executable, "-m", "ckptlint", *files, "--select", "ALL", "--isolated", "--no-cache", "--exit-zero", "-q", "-j", "1"]


def timed_with(checkout: str, files: List[str]) -> float:
    """Wall seconds of one cold lint of ``files`` by the build in ``checkout``."""
    # Run outside both checkouts: `python -m` puts the working directory first on sys.path,
    # so a run from inside one would import that checkout whatever PYTHONPATH says.
    env = dict(ENV, PYTHONPATH=os.path.abspath(checkout))
    return run_measured(lint_command(files), cwd=tempfile.gettempdir(), env=env)["wall"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", required=True, help="a checkout of the earlier build")
    parser.add_argument("--after", default=REPO, help="a checkout of the later build (default: this one)")
    parser.add_argument("--corpus", default=os.path.join(HERE, "corpus"))
    parser.add_argument("--max-lines", type=int, default=250_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    files = sample(corpus_files(args.corpus), args.max_lines)
    builds = {"before": args.before, "after": args.after}
    for checkout in builds.values():
        compileall.compile_dir(os.path.join(checkout, "ckptlint"), quiet=1)
    times: Dict[str, List[float]] = {name: [] for name in builds}
    print(f"{len(files)} files, load average {os.getloadavg()[0]:.2f}")
    for round_number in range(args.rounds):
        order = list(builds) if round_number % 2 == 0 else list(reversed(builds))
        for name in order:
            times[name].append(timed_with(builds[name], files))
            print(f"round {round_number + 1} {name:6} {times[name][-1]:8.2f} s", flush=True)
    best = {name: min(values) for name, values in times.items()}
    print(f"best: before {best['before']:.2f} s, after {best['after']:.2f} s, after/before {best['after'] / best['before']:.2f}x")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
