"""ckptlint's own work grows linearly with the file (issue #22, item 2).

Timing lives in `benchmarks/bench_scaling.py`; this test counts work instead, which
does not depend on the machine: the Python lines of ckptlint's own code executed while
linting a generated training script of n functions (`bench_scaling.py`'s own
generator: module globals read by every function, a save and a load in each). Linear
work executes about 4x the lines for 4x the functions (a little less: the per-file
part is fixed); before the lookups were indexed, every module-level name read from a
function scanned the module's statements, and every load was checked against every
save, so the same script executed 4.7x the lines for 4x the functions.
"""

from __future__ import annotations

import importlib.util
import os
import sys

from invariants import all_rules

import ckptlint
from ckptlint.api import lint_source


def _scaling_benchmark():  # type: ignore[no-untyped-def]
    """`benchmarks/bench_scaling.py`, whose generated scripts this test counts the work of."""
    path = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks", "bench_scaling.py")
    spec = importlib.util.spec_from_file_location("bench_scaling", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


SCALING = _scaling_benchmark()
PACKAGE = os.path.dirname(ckptlint.__file__)


def lines_executed(functions: int) -> int:
    """Lines of ckptlint's own modules executed by one lint of a script of ``functions`` functions."""
    text = SCALING.HEADER + "".join(SCALING.TEMPLATE.format(i=i) for i in range(functions))
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
