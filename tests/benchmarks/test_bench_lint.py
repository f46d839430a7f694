"""bench_lint's rounds: no measure always runs first, and a ratio pairs two runs of one round."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))

import bench_lint  # noqa: E402


def test_each_round_runs_every_measure_once_and_rotates_which_goes_first() -> None:
    order = []
    measures = {name: (lambda name=name: order.append(name) or {"seconds": 1.0}) for name in ("floor", "one", "two")}
    runs = bench_lint.alternating(measures, 3)
    assert order == ["floor", "one", "two", "one", "two", "floor", "two", "floor", "one"]
    assert {name: len(found) for name, found in runs.items()} == {"floor": 3, "one": 3, "two": 3}


def test_a_ratio_pairs_the_runs_of_one_round() -> None:
    # The machine slows down between rounds: each round's ratio is the same, the best runs' is not.
    floor = [{"wall": 10.0}, {"wall": 20.0}]
    lint = [{"wall": 30.0}, {"wall": 60.0}]
    assert bench_lint.paired(lint, floor) == [3.0, 3.0]
    best = bench_lint.best([{"seconds": 30.0, "wall": 30.0}, {"seconds": 60.0, "wall": 60.0}], lines=300, files=3)
    assert best["seconds"] == 30.0 and best["runs"] == 2 and best["lines_per_s"] == 10.0


def test_by_source_the_measures_take_turns_on_each_source_and_a_round_sums_them() -> None:
    order = []

    def measure(name):  # type: ignore[no-untyped-def]
        return lambda root, paths: order.append((name, root)) or {"wall": float(len(paths)), "peak_rss_mib": len(paths)}

    sources = {"a": ["x.py"], "b": ["x.py", "y.py", "z.py"]}
    runs = bench_lint.alternating_by_source(sources, {name: measure(name) for name in ("floor", "lint")}, 2)
    assert order == [("floor", "a"), ("lint", "a"), ("lint", "b"), ("floor", "b"),
                     ("lint", "a"), ("floor", "a"), ("floor", "b"), ("lint", "b")]
    assert runs["floor"] == runs["lint"] == [{"seconds": 4.0, "wall": 4.0, "peak_rss_mib": 3}] * 2


def test_the_machine_state_line_gives_the_load_and_a_positive_probe() -> None:
    import machine

    line = machine.state("at start")
    assert line.startswith("load average at start: ") and "speed probe" in line
    assert float(line.split("speed probe ")[1].split(" ms")[0]) > 0
