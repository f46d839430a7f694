"""CKPT404 determinism-not-requested (opt-in)."""

from __future__ import annotations

from support import codes, lint

from ckptlint.rules.reproducibility.ckpt404_determinism_not_requested import DeterminismNotRequested

RULES = [DeterminismNotRequested]


def test_opt_in_only() -> None:
    code = "import torch\ntorch.manual_seed(0)\nloss.backward()\n"
    assert codes(code, table={"select": ["CKPT4"]}) == []
    assert codes(code, table={"select": ["CKPT404"]}) == ["CKPT404"]


def test_silent_when_cudnn_deterministic_is_set_under_a_flag() -> None:
    code = "import torch\ntorch.manual_seed(0)\nif args.deterministic:\n    torch.backends.cudnn.deterministic = True\n"
    assert codes(code, rules=RULES) == []


def test_silent_with_runtime_seed_everything_deterministic() -> None:
    code = "import torch\nfrom ckptlint.runtime import seed_everything\nseed_everything(0, deterministic=True)\n"
    assert codes(code, rules=RULES) == []


def test_anchor_is_the_first_seeding_call() -> None:
    code = "import random\nimport torch\n\ndef main():\n    setup(1)\n    loss.backward()\n\ndef setup(s):\n    torch.manual_seed(s)\n"
    # Catalog: the first seeding call in source order, "inside a same-file seeding helper, if that
    # comes first": the helper's `torch.manual_seed` (line 9), not the call of the helper (line 5).
    assert [d.span.line for d in lint(code, rules=RULES)] == [9]


def test_silent_in_a_file_that_never_trains() -> None:
    # Catalog revision 2: dataset, model and inference modules that seed are not the training script.
    code = "import torch\ntorch.manual_seed(0)\nmodel.eval()\nprint(model(x))\n"
    assert codes(code, rules=RULES) == []
    assert codes(code + "optimizer.step()\n", rules=RULES) == ["CKPT404"]
