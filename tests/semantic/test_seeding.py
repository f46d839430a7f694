"""Seeding facts: what a file seeds, draws, and sets for cuDNN."""

from __future__ import annotations

import libcst as cst
from support import build_model, dedent

from ckptlint.semantic.model import SemanticModel


def model_of(code: str) -> SemanticModel:
    text = dedent(code)
    return SemanticModel(cst.parse_module(text), text)


def test_import_forms_resolve_to_the_seeded_rngs() -> None:
    model = model_of(
        """
        import torch as th
        from numpy import random as npr
        import random as rnd
        th.cuda.manual_seed_all(1)
        npr.seed(1)
        rnd.seed(1)
        """
    )
    assert model.seeding.seeds
    assert model.seeding.seeded_rngs == {"torch", "numpy", "random"}


def test_seed_everything_seeds_everything() -> None:
    for line in (
        "from lightning import seed_everything\nseed_everything(0)",
        "from transformers import set_seed\nset_seed(0)",
        "from accelerate.utils import set_seed\nset_seed(0)",
        "import ckptlint.runtime\nckptlint.runtime.seed_everything(0)",
    ):
        assert model_of(line + "\n").seeding.seeded_rngs == {"torch", "numpy", "random"}, line


def test_a_generator_seed_alone_does_not_make_a_file_seed() -> None:
    model = model_of("import torch\ng = torch.Generator()\ng.manual_seed(0)\n")
    assert not model.seeding.seeds


def test_same_file_helper_and_first_call_in_source_order() -> None:
    model = model_of(
        """
        import random
        import torch
        def main(args):
            fix_seed(args.seed)
        def fix_seed(seed):
            torch.manual_seed(seed)
            random.seed(seed)
        """
    )
    seeding = model.seeding
    assert [c.qualname for c in seeding.calls] == ["<local>.fix_seed", "torch.manual_seed", "random.seed"]
    helper_call = seeding.calls[0]
    assert helper_call.helper is not None and model.code(helper_call.seed) == "args.seed"
    # CKPT404's anchor: the first seeding call in source order, inside the helper.
    first = seeding.first_call
    assert first is not None and first.qualname == "torch.manual_seed" and first.helper is None


def test_global_draws_exclude_generators() -> None:
    model = model_of(
        """
        import random
        import numpy as np
        rng = np.random.default_rng(0)
        r = random.Random(0)
        x = rng.normal()
        np.random.seed(0)
        """
    )
    assert model.seeding.global_draws == {}
    model = model_of("import numpy as np\nimport random\nnp.random.permutation(3)\nrandom.choice([1])\n")
    assert set(model.seeding.global_draws) == {"numpy", "random"}
    assert model.seeding.unseeded_global_rngs() == {"numpy", "random"}


def test_cudnn_flags_through_import_forms() -> None:
    model = model_of(
        """
        import torch.backends.cudnn as cudnn
        from torch.backends import cudnn as cd
        cudnn.benchmark = True
        cd.benchmark = False
        """
    )
    assert [a.literal_true for a in model.seeding.flag_assignments] == [True, False]
    assert len(model.seeding.benchmark_enabled()) == 1
    assert not model.seeding.requests_determinism


def test_determinism_requests() -> None:
    assert model_of("import torch\ntorch.use_deterministic_algorithms(True, warn_only=True)\n").seeding.requests_determinism
    assert not model_of("import torch\ntorch.use_deterministic_algorithms(False)\n").seeding.requests_determinism
    assert model_of("import torch\ntorch.backends.cudnn.deterministic = args.det\n").seeding.requests_determinism
    assert not model_of("import torch\ntorch.backends.cudnn.deterministic = False\n").seeding.requests_determinism


def test_seed_expression_reachable_only_with_the_same_binding() -> None:
    model = model_of(
        """
        import torch
        from torch.utils.data import DataLoader
        def seed_all():
            seed = 3
            torch.manual_seed(seed)
        def build(ds):
            return DataLoader(ds, shuffle=True)
        """
    )
    loader = model.dataloaders.calls[0]
    assert model.seeding.seed_at(loader.call) is None  # `seed` is another function's local
    model = model_of(
        """
        import time
        import torch
        from torch.utils.data import DataLoader
        torch.manual_seed(int(time.time()))
        loader = DataLoader(range(3), shuffle=True)
        """
    )
    assert model.seeding.seed_at(model.dataloaders.calls[0].call) is None  # a call: another value when repeated


def test_worker_init_reseeding_does_not_make_a_file_seed() -> None:
    # Real code (yolov5 / ultralytics `seed_worker`, mmengine and timm worker inits): a
    # `worker_init_fn` re-seeds numpy/random from the seed torch already chose.
    model = model_of(
        """
        import random
        import numpy as np
        import torch
        def seed_worker(worker_id):
            worker_seed = torch.initial_seed() % 2**32
            np.random.seed(worker_seed)
            random.seed(worker_seed)
        def init(wid):
            torch.manual_seed(wid)
        loader = torch.utils.data.DataLoader(range(3), worker_init_fn=init)
        torch.backends.cudnn.benchmark = True
        """
    )
    assert not model.seeding.seeds and model.seeding.first_call is None
    assert model.seeding.seeded_rngs == {"numpy", "random", "torch"}  # still seeded, for CKPT402's silence
