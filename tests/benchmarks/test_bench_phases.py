"""bench_phases times every phase it names: a phase whose function moved would read zero, not fail."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))

import bench_phases  # noqa: E402

TRAIN = """\
import torch
from helpers import save_state

model = torch.nn.Linear(2, 2)
for epoch in range(3):
    save_state(model, "last.pt")
"""
HELPERS = """\
import torch


def save_state(model, path):
    torch.save(model, path)
"""


def test_a_run_times_every_phase_and_counts_what_each_parse_read(tmp_path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "train.py").write_text(TRAIN)
    (tmp_path / "helpers.py").write_text(HELPERS)
    spent = bench_phases.one_run({str(tmp_path): [str(tmp_path / "train.py")]})
    # The reach walk and the collector may take no time on a file this small; every other phase does.
    timed = [label for label in bench_phases.ORDER if label not in ("reach", "cycle collector", "rest")]
    assert [label for label in timed if not spent.get(label, 0.0) > 0.0] == []
    assert spent["parse, linted files (characters)"] == len(TRAIN)
    assert spent["parse, other modules (characters)"] == len(HELPERS)  # the helper's summary
    assert abs(sum(spent.get(label, 0.0) for label in bench_phases.ORDER) - spent["total"]) < 1e-9
