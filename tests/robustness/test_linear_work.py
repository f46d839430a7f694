"""ckptlint's own work grows linearly with the file (issue #22, item 2).

Timing lives in `benchmarks/bench_scaling.py`; this test counts work instead, which
does not depend on the machine: the Python lines of ckptlint's own code executed while
linting a generated training script of n functions (the shape `bench_scaling.py`
generates: module globals read by every function, a save and a load in each). Linear
work executes about 4x the lines for 4x the functions (a little less: the per-file
part is fixed); before the lookups were indexed, every module-level name read from a
function scanned the module's statements, and every load was checked against every
save, so the same script executed 4.7x the lines for 4x the functions.
"""

from __future__ import annotations

import os
import sys

from invariants import all_rules

import ckptlint
from ckptlint.api import lint_source

HEADER = (
    "import os\nimport torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader\n\n"
    "CKPT_DIR = os.environ['CKPT_DIR']\nmodel = nn.Linear(4, 4)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
)
FUNCTION = '''
def train_{i}(loader, epochs):
    sched = torch.optim.lr_scheduler.StepLR(opt, 10)
    for epoch in range(epochs):
        for x, y in loader:
            opt.zero_grad()
            loss = (model(x) - y).pow(2).mean()
            loss.backward()
            opt.step()
        state = {{"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict()}}
        state.update(epoch=epoch + 1, rng=torch.get_rng_state())
        torch.save(state, os.path.join(CKPT_DIR, f"run_{i}_{{epoch}}.pt"))
    state_{i} = torch.load(os.path.join(CKPT_DIR, "run_{i}.pt"), map_location="cpu", weights_only=True)
    model.load_state_dict(state_{i}["model"])
    opt.load_state_dict(state_{i}["optimizer"])
    sched.load_state_dict(state_{i}["scheduler"])
    torch.set_rng_state(state_{i}["rng"])

train_{i}(DataLoader([], batch_size=4), 3)
'''
PACKAGE = os.path.dirname(ckptlint.__file__)


def lines_executed(functions: int) -> int:
    """Lines of ckptlint's own modules executed by one lint of a script of ``functions`` functions."""
    text = HEADER + "".join(FUNCTION.format(i=i) for i in range(functions))
    rules = all_rules()
    count = 0

    def in_ckptlint(frame, event, arg):  # type: ignore[no-untyped-def]
        return count_lines if frame.f_code.co_filename.startswith(PACKAGE) else None

    def count_lines(frame, event, arg):  # type: ignore[no-untyped-def]
        nonlocal count
        if event == "line":
            count += 1
        return count_lines

    previous = sys.gettrace()
    sys.settrace(in_ckptlint)
    try:
        outcome = lint_source(text, "train.py", rules)
    finally:
        sys.settrace(previous)
    assert not outcome.errors and len(outcome.diagnostics) == functions  # one CKPT504 per function
    return count


def test_four_times_the_functions_is_four_times_the_work() -> None:
    small, large = lines_executed(20), lines_executed(80)
    assert large / small < 4.3, (small, large)  # 3.94 here; 4.73 before (4a75e08)
