"""seed_everything, seed_worker, make_generator, capture/restore_rng_state."""

from __future__ import annotations

import io
import os
import random

import numpy as np
import pytest
import torch

import ckptlint.runtime as rt
from ckptlint.runtime.errors import CheckpointFormatError


def _draws(gen: torch.Generator) -> tuple:
    return (random.random(), float(np.random.rand()), torch.rand(3).tolist(),
            torch.rand(2, generator=gen).tolist())


def _roundtrip(obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=True)


def test_seed_everything_seeds_all_and_sets_pythonhashseed(monkeypatch) -> None:
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    assert rt.seed_everything(123) == 123
    first = (random.random(), float(np.random.rand()), torch.rand(2).tolist())
    rt.seed_everything(123)
    assert first == (random.random(), float(np.random.rand()), torch.rand(2).tolist())
    assert os.environ["PYTHONHASHSEED"] == "123"


def test_seed_everything_validates() -> None:
    with pytest.raises(TypeError):
        rt.seed_everything(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        rt.seed_everything(-1)


def test_seed_everything_deterministic(monkeypatch) -> None:
    before = (torch.are_deterministic_algorithms_enabled(),
              torch.is_deterministic_algorithms_warn_only_enabled(),
              torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    try:
        rt.seed_everything(0)
        assert torch.are_deterministic_algorithms_enabled() == before[0]
        rt.seed_everything(0, deterministic=True)
        assert torch.are_deterministic_algorithms_enabled()
        assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
        assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
        rt.seed_everything(0, deterministic="warn")
        assert torch.is_deterministic_algorithms_warn_only_enabled()
    finally:
        torch.use_deterministic_algorithms(before[0], warn_only=before[1])
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = before[2:]


def test_seed_worker_seeds_random_and_numpy_from_torch_seed() -> None:
    torch.manual_seed(77)
    rt.seed_worker(0)
    a = (random.random(), float(np.random.rand()))
    torch.manual_seed(77)
    rt.seed_worker(0)
    assert a == (random.random(), float(np.random.rand()))


def test_make_generator_is_seeded_and_registered() -> None:
    g = rt.make_generator(5, name="seeding_test_gen")
    assert torch.equal(torch.rand(3, generator=g), torch.rand(3, generator=torch.Generator().manual_seed(5)))
    assert "seeding_test_gen" in rt.capture_rng_state()["generators"]
    del g
    import gc
    gc.collect()
    assert "seeding_test_gen" not in rt.capture_rng_state()["generators"]  # weak registry


def test_capture_restore_roundtrip_through_weights_only_load() -> None:
    gen = rt.make_generator(9, name="rng_roundtrip")
    rt.seed_everything(3)
    _draws(gen)
    state = _roundtrip({"rng": rt.capture_rng_state()})["rng"]  # the CKPT104 fix shape
    expected = _draws(gen)
    _draws(gen)
    rt.restore_rng_state(state)
    assert _draws(gen) == expected


def test_numpy_state_is_stored_as_tensor_and_ints() -> None:
    state = rt.capture_rng_state()
    npstate = state["numpy"]
    assert isinstance(npstate["keys"], torch.Tensor) and npstate["keys"].dtype == torch.int64
    assert type(npstate["pos"]) is int and type(npstate["cached_gaussian"]) is float
    assert state["format"] == "ckptlint.rng/1" and state["rank"] == 0


def test_numpy_gauss_cache_is_restored() -> None:
    np.random.seed(0)
    np.random.randn()  # leaves a cached gaussian
    state = _roundtrip(rt.capture_rng_state())
    expected = np.random.randn(3)
    rt.restore_rng_state(state)
    assert np.array_equal(np.random.randn(3), expected)


def test_restore_other_rank_warns(monkeypatch) -> None:
    state = rt.capture_rng_state()
    monkeypatch.setenv("RANK", "1")
    with pytest.warns(RuntimeWarning, match="rank 0 on rank 1"):
        rt.restore_rng_state(state)


def test_restore_rejects_foreign_state() -> None:
    with pytest.raises(CheckpointFormatError):
        rt.restore_rng_state({"torch": torch.get_rng_state()})


def test_restore_warns_on_unknown_generator() -> None:
    state = rt.capture_rng_state()
    state["generators"]["no_such_generator"] = torch.Generator().get_state()
    with pytest.warns(RuntimeWarning, match="no_such_generator"):
        rt.restore_rng_state(state)


def test_explicit_generators_argument() -> None:
    g = torch.Generator().manual_seed(1)
    state = rt.capture_rng_state(generators={"mine": g})
    expected = torch.rand(2, generator=g)
    rt.restore_rng_state(state, generators={"mine": g})
    assert torch.equal(torch.rand(2, generator=g), expected)
