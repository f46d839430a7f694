"""CKPT402 partial-seeding."""

from __future__ import annotations

from support import codes, fix, lint

from ckptlint.rules.reproducibility.ckpt402_partial_seeding import PartialSeeding

RULES = [PartialSeeding]


def test_silent_when_numpy_is_imported_but_np_random_never_called() -> None:
    assert codes("import numpy as np\nimport torch\ntorch.manual_seed(0)\nx = np.arange(3)\n", rules=RULES) == []


def test_silent_when_the_file_seeds_through_seed_everything() -> None:
    code = """
        import random
        import torch
        from lightning.pytorch import seed_everything
        torch.manual_seed(0)
        seed_everything(0)
        random.shuffle(items)
        """
    assert codes(code, rules=RULES) == []


def test_silent_when_the_module_is_seeded_by_a_same_file_helper() -> None:
    code = """
        import random
        import torch
        def seed_python(s):
            random.seed(s)
        torch.manual_seed(0)
        seed_python(0)
        random.shuffle(items)
        """
    assert codes(code, rules=RULES) == []


def test_missing_cuda_seed_is_not_a_finding() -> None:
    assert codes("import torch\ntorch.manual_seed(0)\nx = torch.randn(3, device='cuda')\n", rules=RULES) == []


def test_one_finding_per_manual_seed_call() -> None:
    code = "import random\nimport torch\ntorch.manual_seed(0)\ntorch.manual_seed(1)\nrandom.random()\n"
    assert [d.span.line for d in lint(code, rules=RULES)] == [3, 4]


def test_fix_imports_the_runtime_once() -> None:
    code = "import numpy as np\nimport torch\ntorch.manual_seed(0)\ntorch.manual_seed(1)\nnp.random.rand()\n"
    outcome = fix(code, rules=RULES, table={"runtime": True})
    assert outcome.text.count("import ckptlint.runtime") == 1
    assert outcome.text.count("ckptlint.runtime.seed_everything(") == 2
    assert codes(outcome.text, rules=RULES) == []
