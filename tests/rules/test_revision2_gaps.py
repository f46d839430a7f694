"""Catalog revision 2 examples that the rules do not meet yet (issue #16, item 6).

Each case is what the catalog says a rule does on a revised definition, written
as the rule's VALID / INVALID example would be (``anchors``: the text on each
line the rule must report; none for a VALID case). It fails today for the
reason given, so it is a strict xfail: when the model learns it, the case
passes, the test fails, and the case moves into the rule's examples.
"""

from __future__ import annotations

from typing import List, NamedTuple, Type

import pytest
from support import dedent, lint

from ckptlint.rules.base import Rule
from ckptlint.rules.reproducibility.ckpt401_unseeded_dataloader_workers import UnseededDataloaderWorkers


class Gap(NamedTuple):
    rule: Type[Rule]
    code: str
    anchors: List[str]  # text on each line the catalog says the rule reports ([] for a VALID case)
    reason: str  # why it fails today

    def expected_lines(self) -> List[int]:
        lines = dedent(self.code).splitlines()
        return [next(i for i, line in enumerate(lines, 1) if anchor in line) for anchor in self.anchors]


GAPS = {
    "401-evaluation-loader-with-workers": Gap(
        UnseededDataloaderWorkers,
        """
        import torch
        from torch.utils.data import DataLoader

        torch.manual_seed(0)
        val_loader = DataLoader(dataset, batch_size=32, num_workers=4)  # evaluation only
        with torch.no_grad():
            for x, y in val_loader:
                metric.update(model(x), y)
        """,
        [],
        "a false positive: revision 2 (a loader that does not shuffle fires only when a training "
        "loop iterates it) is not implemented; no fact says which loop iterates a loader",
    ),
}


@pytest.mark.parametrize(
    "name", [pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=GAPS[name].reason)) for name in sorted(GAPS)]
)
def test_revision2_gap(name: str) -> None:
    gap = GAPS[name]
    assert [d.span.line for d in lint(gap.code, rules=[gap.rule])] == gap.expected_lines()
