"""Fix invariants for every saving-rule fix on realistic inputs: the result parses,
a second run changes nothing, only the lines the fix must touch change, a runtime
import is added once, and the fixed file is silent for that rule."""

from __future__ import annotations

import difflib
from typing import List, Tuple

import libcst as cst
import pytest
from support import dedent, fix, lint

from ckptlint.rules.registry import lookup

TRAINER = """
    import os
    import torch
    import torch.nn as nn
    from torch.nn.parallel import DistributedDataParallel as DDP


    class Trainer:
        def __init__(self, model: nn.Module):
            self.model = DDP(nn.Linear(2, 2))
            self.optimizer = torch.optim.AdamW(self.model.parameters())
            self.scheduler = torch.optim.lr_scheduler.StepLR(self.optimizer, 10)
            self.scaler = torch.amp.GradScaler("cuda")

        def save(self, path, epoch):
            state = {
                "model": self.model.module.state_dict(),
                "epoch": epoch,
            }
            torch.save(state, path)

        def resume(self, path):
            if os.path.exists(path):
                state = torch.load(path, map_location="cpu")
                self.model.module.load_state_dict(state["model"])
                return state["epoch"] + 1
            return 0

        def export(self):
            torch.save(self.model, "export.pt")
            torch.save({"weights": self.model.state_dict()}, "w.pt")
    """

SCRIPT = """
    import torch
    import torch.nn as nn


    def main():
        model = nn.Linear(2, 2)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for epoch in range(3):
            ckpt = {"model": model.state_dict()}
            ckpt["optimizer"] = opt.state_dict()
            ckpt["epoch"] = epoch
            ckpt["cuda_rng"] = torch.cuda.get_rng_state()
            torch.save(ckpt, "last.pt")


    def resume(model: nn.Module, opt: torch.optim.Optimizer):
        ckpt = torch.load("last.pt")
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        torch.cuda.set_rng_state(ckpt["cuda_rng"])
    """

# (rule, source, unsafe, number of changed lines the fix may touch, lines it adds)
CASES: List[Tuple[str, str, bool, int, int]] = [
    ("CKPT101", TRAINER, True, 1, 0),
    # one entry is added (the dict has a trailing comma), and its restore (`if "k" in state:` and the call)
    ("CKPT102", TRAINER, False, 0, 3),
    ("CKPT103", TRAINER, False, 0, 3),
    ("CKPT105", TRAINER, False, 0, 3),
    ("CKPT107", TRAINER, True, 1, 0),
    # the import, the `ckpt["rng"] = ...` line, and its restore
    ("CKPT104", SCRIPT.replace('            ckpt["cuda_rng"] = torch.cuda.get_rng_state()\n', ""), False, 0, 4),
    ("CKPT108", SCRIPT, True, 2, 0),  # the get and the set
    ("CKPT109", SCRIPT, False, 1, 1),  # the call and the import
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c[0])
def test_fix_invariants(case: Tuple[str, str, bool, int, int]) -> None:
    code, source, unsafe, changed, added = case
    rule = lookup(code)
    assert rule is not None
    source = dedent(source)
    table = {"runtime": True}
    before = [d for d in lint(source, rules=[rule], table=table) if d.fix is not None]
    assert before, f"{code} offers no fix here"
    outcome = fix(source, rules=[rule], unsafe=unsafe, table=table)
    assert outcome.error is None
    cst.parse_module(outcome.text)  # parses
    again = fix(outcome.text, rules=[rule], unsafe=unsafe, table=table)
    assert again.text == outcome.text and again.applied == 0  # idempotent
    assert lint(outcome.text, rules=[rule], table=table) == []  # the fixed file is silent for that rule
    old, new = source.splitlines(), outcome.text.splitlines()
    removed = [l for l in difflib.ndiff(old, new) if l.startswith("- ")]
    inserted = [l for l in difflib.ndiff(old, new) if l.startswith("+ ")]
    assert len(removed) == changed, removed  # minimal: only the lines it must touch
    assert len(inserted) == changed + added, inserted
    assert outcome.text.count("import ckptlint.runtime") <= 1


def test_all_saving_fixes_together_converge() -> None:
    from ckptlint.rules.registry import RULES

    rules = [r for r in RULES if r.code.startswith("CKPT1")]
    for source in (TRAINER, SCRIPT):
        outcome = fix(dedent(source), rules=rules, unsafe=True, table={"runtime": True})
        assert outcome.error is None
        cst.parse_module(outcome.text)
        assert fix(outcome.text, rules=rules, unsafe=True, table={"runtime": True}).applied == 0
        assert outcome.text.count("import ckptlint.runtime") <= 1
