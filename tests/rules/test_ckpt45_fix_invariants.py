"""Fix invariants for the reproducibility and path fixes (CKPT401, 402, 502) on a realistic
script: the result parses, a second run changes nothing, only the lines the fix must touch
change, an import is added once, and the fixed file is silent for that rule."""

from __future__ import annotations

import difflib
from typing import List, Tuple

import libcst as cst
import pytest
from support import dedent, fix, lint

from ckptlint.rules.registry import RULES, lookup

SCRIPT = """
    import argparse
    import random

    import numpy as np
    import torch
    from torch.utils.data import DataLoader


    def main():
        parser = argparse.ArgumentParser()
        parser.add_argument("--seed", type=int, default=0)
        args = parser.parse_args()
        torch.manual_seed(args.seed)
        train = DataLoader(range(100), batch_size=8, shuffle=True, num_workers=4)
        model = torch.nn.Linear(2, 2)
        for epoch in range(3):
            for x in train:
                noise = np.random.rand() + random.random()
            torch.save({"model": model.state_dict(), "epoch": epoch}, "checkpoints/last.pt")
    """

# (rule, lines changed, lines added)
CASES: List[Tuple[str, int, int]] = [
    ("CKPT401", 1, 1),  # the loader call; the runtime import
    ("CKPT402", 1, 1),  # the seeding call; the runtime import
    ("CKPT502", 0, 2),  # `import os`, the makedirs line
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c[0])
def test_fix_invariants(case: Tuple[str, int, int]) -> None:
    code, changed, added = case
    rule = lookup(code)
    assert rule is not None
    source = dedent(SCRIPT)
    table = {"runtime": True}
    assert [d for d in lint(source, rules=[rule], table=table) if d.fix is not None]
    outcome = fix(source, rules=[rule], table=table)
    assert outcome.error is None
    cst.parse_module(outcome.text)
    again = fix(outcome.text, rules=[rule], table=table)
    assert again.text == outcome.text and again.applied == 0
    assert lint(outcome.text, rules=[rule], table=table) == []
    diff = list(difflib.ndiff(source.splitlines(), outcome.text.splitlines()))
    assert len([l for l in diff if l.startswith("- ")]) == changed
    assert len([l for l in diff if l.startswith("+ ")]) == changed + added
    assert outcome.text.count("import ckptlint.runtime") <= 1
    assert outcome.text.count("import os\n") <= 1


def test_all_fixes_together_converge() -> None:
    rules = [r for r in RULES if r.code[4] in "45"]
    outcome = fix(dedent(SCRIPT), rules=rules, table={"runtime": True, "select": ["ALL"]})
    assert outcome.error is None
    cst.parse_module(outcome.text)
    assert outcome.text.count("import ckptlint.runtime") == 1
    assert fix(outcome.text, rules=rules, table={"runtime": True}).applied == 0
