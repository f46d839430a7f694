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


def test_a_worker_init_reseed_does_not_make_the_file_a_seeded_run() -> None:
    # yolov5 utils/dataloaders.py: `seed_worker(worker_id)` re-seeds numpy/random in each worker,
    # and an unrelated streaming class turns on cuDNN benchmarking for inference.
    code = """
        import random
        import numpy as np
        import torch
        def seed_worker(worker_id):
            worker_seed = torch.initial_seed() % 2**32
            np.random.seed(worker_seed)
            random.seed(worker_seed)
        class LoadStreams:
            def __init__(self):
                torch.backends.cudnn.benchmark = True
        """
    assert codes(code, rules=RULES) == []
