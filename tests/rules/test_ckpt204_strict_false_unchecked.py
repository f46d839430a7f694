"""CKPT204 strict-false-unchecked: a discarded result fires, any use of it is a check."""

from __future__ import annotations

import pytest
from support import lint

from ckptlint.rules.loading.ckpt204_strict_false_unchecked import StrictFalseUnchecked

RULES = [StrictFalseUnchecked]
LOAD = 'model.load_state_dict(torch.load("a.pt"), strict=False)'


@pytest.mark.parametrize(
    "code",
    [
        f"import torch\n{LOAD}\n",
        f"import torch\nresult = {LOAD}\n",
        f"import torch\nmissing, unexpected = {LOAD}\n",
        f"import torch\n_ = {LOAD}\n",
    ],
)
def test_discarded_result_fires(code: str) -> None:
    assert [d.code for d in lint(code, rules=RULES)] == ["CKPT204"]


@pytest.mark.parametrize(
    "use",
    [
        "print(result)",
        "logger.warning('keys: %s', result)",
        "assert not result.missing_keys",
        "if result.unexpected_keys:\n    raise ValueError(result)",
    ],
)
def test_any_use_of_the_result_counts_as_checked(use: str) -> None:
    assert lint(f"import torch\nresult = {LOAD}\n{use}\n", rules=RULES) == []


def test_returned_or_strict_true_is_silent() -> None:
    assert lint(f"import torch\ndef f(model):\n    return {LOAD}\n", rules=RULES) == []
    assert lint('import torch\nmodel.load_state_dict(sd, strict=True)\n', rules=RULES) == []
    assert lint('import torch\nmodel.load_state_dict(sd, strict=args.strict)\n', rules=RULES) == []


def test_dict_filtered_against_the_target_state_dict_is_checked() -> None:
    # yolov5 train.py / ultralytics tasks.py: `csd = intersect_dicts(csd, model.state_dict())`
    # then `model.load_state_dict(csd, strict=False)` (was a false positive).
    code = """
        import torch
        csd = ckpt["model"].float().state_dict()
        csd = intersect_dicts(csd, model.state_dict(), exclude=["anchor"])
        model.load_state_dict(csd, strict=False)
        sd = {k: v for k, v in sd.items() if k in self.state_dict()}
        self.load_state_dict(sd, strict=False)
        """
    assert lint(code, rules=RULES) == []
    other = 'import torch\ncsd = intersect_dicts(csd, other.state_dict())\nmodel.load_state_dict(csd, strict=False)\n'
    assert [d.code for d in lint(other, rules=RULES)] == ["CKPT204"]
