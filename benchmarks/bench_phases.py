"""Where a cold run's time goes, phase by phase, in real time (no profiler).

    python benchmarks/realworld/build.py       # once
    python benchmarks/bench_phases.py [--rounds 1]

The real training scripts of the real-code set are linted as `bench_lint.py`
lints them (one process per source, from its root, cold, one job, every rule),
with a timer around each phase of the run. A phase's time leaves out the phases
inside it: the parse of a module summarised for a fact counts as a parse, not as
the fact that asked for it. The phases:

- start-up and exit: the interpreter's own, before the process's first line
  and after its last (the process's wall time, less everything below);
- imports: from the process's first line to the analysis modules imported
  (libcst's ~0.12 s among them, which the parse floor pays too);
- parse, linted files / parse, other modules: libcst's parse of the scripts, and
  of the other project modules whose summaries a fact needed (with the
  characters parsed);
- summaries' models: the semantic model of those modules, but their parse;
- outlines: the pre-filter's outline of a module (Python's `ast`), and
  reach: its walk over the code a file reaches (`semantic/program/reach.py`);
- positions: the one code generation that gives the findings their spans;
- cycle collector: Python's garbage collector, all generations;
- analysis: the rest of `lint_text` (the model of the linted file and the rules);
- rest: the run's own work around them (discovery, settings, output).

The profile (pyinstrument, cProfile) inflates Python-heavy phases several
times over native ones (libcst's parser, `ast`); these are wall-clock times.
Sums over the sources; with `--rounds N`, the median of N runs of each phase.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Dict, List

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_lint import ENV, training_scripts  # noqa: E402

# Run in each child process: timers around the phases, then ckptlint's own entry point. A phase
# that is renamed or moved makes the wrapping fail loudly (AttributeError), never silently.
CHILD = r"""
import time
began = time.perf_counter()
import atexit, gc, json, sys
import ckptlint.cli
from ckptlint.engine import runner
from ckptlint.semantic.core import parsing, spans
from ckptlint.semantic.program import index, reach
imported = time.perf_counter()
spent, chars, stack = {}, {}, []

def timed(owner, name, label, text_first=False):
    inner_call = getattr(owner, name)
    def call(*args, **kwargs):
        if text_first:
            chars[label] = chars.get(label, 0) + len(args[0])
        start = time.perf_counter()
        stack.append([label, 0.0])
        try:
            return inner_call(*args, **kwargs)
        finally:
            _, nested = stack.pop()
            took = time.perf_counter() - start
            spent[label] = spent.get(label, 0.0) + took - nested
            if stack:
                stack[-1][1] += took
    setattr(owner, name, call)

# The runner holds its own reference to the parse; the index imports it when it builds a model.
timed(runner, "parse_module", "parse, linted files", text_first=True)
timed(parsing, "parse_module", "parse, other modules", text_first=True)
timed(index.ProjectIndex, "_model", "summaries' models")
timed(index.ProjectIndex, "outline", "outlines")
timed(reach.ReachWords, "__contains__", "reach")
timed(spans.Positions, "_generate", "positions")
timed(runner, "lint_text", "analysis")
collecting = []
def collector(phase, info):
    if phase == "start":
        collecting.append(time.perf_counter())
    else:
        took = time.perf_counter() - collecting.pop()
        spent["cycle collector"] = spent.get("cycle collector", 0.0) + took
        if stack:
            stack[-1][1] += took  # not the phase's own time
gc.callbacks.append(collector)

def report():
    spent["imports"] = imported - began
    spent["total"] = time.perf_counter() - began
    sys.stderr.write("PHASES " + json.dumps({"spent": spent, "chars": chars}) + "\n")
atexit.register(report)
sys.argv = ["ckptlint", *sys.argv[1:]]
ckptlint.cli.run()  # the program, as its console script runs it
"""
ARGS = ["--select", "ALL", "--exit-zero", "-q", "--output-format", "json", "--isolated", "--no-cache", "--jobs", "1"]
ORDER = ("start-up and exit", "imports", "parse, linted files", "parse, other modules", "summaries' models", "outlines", "reach",
         "positions", "cycle collector", "analysis", "rest")


def one_run(sources: Dict[str, List[str]]) -> Dict[str, float]:
    """Each phase's seconds summed over the sources, and the characters each parse read."""
    spent: Dict[str, float] = {}
    for root, paths in sources.items():
        started = time.perf_counter()
        child = subprocess.run([sys.executable, "-c", CHILD, *[os.path.relpath(p, root) for p in paths], *ARGS],
                               cwd=root, env=ENV, capture_output=True, text=True)
        wall = time.perf_counter() - started
        lines = [line for line in child.stderr.splitlines() if line.startswith("PHASES ")]
        if not lines:
            raise SystemExit(f"{root}: no phases reported:\n{child.stderr[-2000:]}")
        found = json.loads(lines[-1][len("PHASES "):])
        found["spent"]["start-up and exit"] = wall - found["spent"]["total"]
        found["spent"]["total"] = wall
        for label, seconds in found["spent"].items():
            spent[label] = spent.get(label, 0.0) + seconds
        for label, count in found["chars"].items():
            spent[f"{label} (characters)"] = spent.get(f"{label} (characters)", 0) + count
    spent["rest"] = spent["total"] - sum(spent.get(label, 0.0) for label in ORDER if label != "rest")
    return spent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    sources = training_scripts()
    if not sources:
        print("no real-code set: run benchmarks/realworld/build.py first", file=sys.stderr)
        return 2
    runs = [one_run(sources) for _ in range(args.rounds)]
    total = statistics.median(run["total"] for run in runs)
    print(f"{sum(map(len, sources.values()))} training scripts of {len(sources)} sources, cold, 1 job; "
          f"median of {args.rounds} run(s)")
    for label in ORDER:
        seconds = statistics.median(run.get(label, 0.0) for run in runs)
        characters = runs[0].get(f"{label} (characters)")
        read = f"   {characters / 1e6:.2f}M characters" if characters else ""
        print(f"{label:24s} {seconds:7.2f} s  {100 * seconds / total:5.1f}%{read}")
    print(f"{'total':24s} {total:7.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
