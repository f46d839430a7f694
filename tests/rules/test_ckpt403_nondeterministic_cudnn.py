"""CKPT403 nondeterministic-cudnn."""

from __future__ import annotations

from support import codes, lint

from ckptlint.rules.reproducibility.ckpt403_nondeterministic_cudnn import NondeterministicCudnn

RULES = [NondeterministicCudnn]


def test_fires_through_an_aliased_import_and_anchors_at_the_assignment() -> None:
    code = "import torch\nfrom torch.backends import cudnn\ntorch.manual_seed(0)\ncudnn.benchmark = True\n"
    assert [(d.code, d.span.line) for d in lint(code, rules=RULES)] == [("CKPT403", 4)]


def test_silent_for_a_non_literal_value_or_an_unseeded_file() -> None:
    assert codes("import torch\ntorch.manual_seed(0)\ntorch.backends.cudnn.benchmark = args.bench\n", rules=RULES) == []
    assert codes("import torch\ntorch.backends.cudnn.benchmark = True\n", rules=RULES) == []


def test_a_user_attribute_named_benchmark_is_not_cudnn() -> None:
    assert codes("import torch\ntorch.manual_seed(0)\nconfig.benchmark = True\n", rules=RULES) == []
