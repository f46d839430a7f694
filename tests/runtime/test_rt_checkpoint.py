"""save_checkpoint / load_checkpoint in one process: payload, safety, errors, wrappers."""

from __future__ import annotations

import argparse
import os
import pathlib
import zipfile

import numpy as np
import pytest
import torch

import ckptlint.runtime as rt


def _parts():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.Linear(8, 1))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.5, total_iters=2)
    cyc = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=10)
    sched = torch.optim.lr_scheduler.SequentialLR(opt, [warm, cyc], milestones=[2])
    scaler = torch.amp.GradScaler("cpu")
    model(torch.randn(6, 4)).sum().backward()
    opt.step()
    sched.step()
    return model, opt, sched, scaler


def _shift(model: torch.nn.Module) -> None:
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)


def test_round_trip_weights_only(tmp_path) -> None:
    model, opt, sched, scaler = _parts()
    rt.make_generator(3, name="ckpt_test_loader")
    path = tmp_path / "c.pt"
    rt.save_checkpoint(path, model=model, optimizer=opt, scheduler=sched, scaler=scaler, epoch=4,
                       step=40, best=0.5, cfg={"lr": 1e-2, "layers": [4, 8]}, tag="run1")
    raw = torch.load(path, map_location="cpu", weights_only=True)
    assert torch.serialization.get_unsafe_globals_in_checkpoint(str(path)) == []
    assert raw["format"] == "ckptlint.checkpoint/2" and type(raw["meta"]["torch"]) is str
    assert raw["epoch_complete"] is True and raw["checksums"]["algorithm"] == "crc32"
    assert raw["rng"]["world_size"] == 1 and len(raw["rng"]["per_rank"]) == 1

    model2, opt2, sched2, scaler2 = _parts()
    _shift(model2)
    info = rt.load_checkpoint(path, model=model2, optimizer=opt2, scheduler=sched2, scaler=scaler2)
    assert (info.next_epoch, info.epoch, info.step) == (5, 4, 40)
    assert info.extra == {"best": 0.5, "cfg": {"lr": 1e-2, "layers": [4, 8]}, "tag": "run1"}
    for a, b in zip(model.state_dict().values(), model2.state_dict().values()):
        assert torch.equal(a, b)
    assert sched2.state_dict()["_last_lr"] == sched.state_dict()["_last_lr"]
    assert info.missing_keys == [] and info.unexpected_keys == []


def test_load_restores_rng(tmp_path) -> None:
    model, *_ = _parts()
    torch.manual_seed(11)
    rt.save_checkpoint(tmp_path / "c.pt", model=model, epoch=0)
    expected = torch.rand(4)
    torch.rand(100)
    rt.load_checkpoint(tmp_path / "c.pt", model=model)
    assert torch.equal(torch.rand(4), expected)
    torch.rand(100)
    rt.load_checkpoint(tmp_path / "c.pt", model=model, restore_rng=False)
    assert not torch.equal(torch.rand(4), expected)


@pytest.mark.parametrize("value, hint", [
    (np.float64(1.5), r"\.item\(\)"),
    (argparse.Namespace(lr=1), r"vars\(args\)"),
    (torch.__version__, r"str\(torch.__version__\)"),
    (pathlib.Path("/x"), r"str\(path\)"),
])
def test_unsafe_extras_rejected_before_writing(tmp_path, value, hint) -> None:
    model, *_ = _parts()
    folder = tmp_path / "ckpts"
    with pytest.raises(TypeError, match=r"extra\['meta_info'\]\['v'\].*" + hint):
        rt.save_checkpoint(folder / "c.pt", model=model, epoch=1, meta_info={"v": value})
    assert not folder.exists() or list(folder.iterdir()) == []


@pytest.mark.parametrize("epoch", [-1, 1.0, True, "3"])
def test_bad_epoch_rejected(tmp_path, epoch) -> None:
    model, *_ = _parts()
    with pytest.raises(TypeError, match="epoch"):
        rt.save_checkpoint(tmp_path / "c.pt", model=model, epoch=epoch)
    assert list(tmp_path.iterdir()) == []


def test_wrapped_models_save_clean_keys_and_load_both_ways(tmp_path) -> None:
    model, *_ = _parts()
    rt.save_checkpoint(tmp_path / "dp.pt", model=torch.nn.DataParallel(model), epoch=0)
    rt.save_checkpoint(tmp_path / "co.pt", model=torch.compile(model), epoch=0)
    for name in ("dp.pt", "co.pt"):
        keys = list(torch.load(tmp_path / name, weights_only=True)["model"])
        assert keys and not any(k.startswith(("module.", "_orig_mod.")) for k in keys)
    for wrap in (lambda m: m, torch.nn.DataParallel, torch.compile,
                 lambda m: torch.nn.DataParallel(torch.compile(m))):
        fresh, *_ = _parts()
        _shift(fresh)
        rt.load_checkpoint(tmp_path / "dp.pt", model=wrap(fresh))
        assert torch.equal(fresh[0].weight, model[0].weight)


def test_foreign_prefixed_state_dict_is_stripped(tmp_path) -> None:
    model, *_ = _parts()
    rt.save_checkpoint(tmp_path / "c.pt", model=model, epoch=0)
    payload = torch.load(tmp_path / "c.pt", weights_only=True)
    payload["model"] = {f"module._orig_mod.{k}": v for k, v in payload["model"].items()}
    del payload["checksums"]  # as another tool would write it (it keys no checksums)
    torch.save(payload, tmp_path / "p.pt")
    fresh, *_ = _parts()
    _shift(fresh)
    rt.load_checkpoint(tmp_path / "p.pt", model=fresh)
    assert torch.equal(fresh[0].weight, model[0].weight)


def test_strict_false_returns_missing_and_unexpected(tmp_path) -> None:
    model, *_ = _parts()
    rt.save_checkpoint(tmp_path / "c.pt", model=model, epoch=0)
    other = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1),
                                torch.nn.Linear(1, 1))
    with pytest.raises(rt.CheckpointMismatchError, match="c.pt"):
        rt.load_checkpoint(tmp_path / "c.pt", model=other)
    info = rt.load_checkpoint(tmp_path / "c.pt", model=other, strict=False)
    assert "3.weight" in info.missing_keys
    assert "1.running_mean" in info.unexpected_keys


def test_asking_for_state_the_file_lacks_is_an_error(tmp_path) -> None:
    model, opt, *_ = _parts()
    rt.save_checkpoint(tmp_path / "c.pt", model=model, epoch=0)
    with pytest.raises(rt.CheckpointFormatError, match="no optimizer state"):
        rt.load_checkpoint(tmp_path / "c.pt", model=model, optimizer=opt)


def test_clear_errors(tmp_path) -> None:
    model, *_ = _parts()
    (tmp_path / "other.pt").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match=r"missing\.pt.*other\.pt"):
        rt.load_checkpoint(tmp_path / "missing.pt", model=model)
    with pytest.raises(rt.CheckpointCorruptError, match=r"other\.pt is empty \(0 bytes\)"):
        rt.load_checkpoint(tmp_path / "other.pt", model=model)

    rt.save_checkpoint(tmp_path / "good.pt", model=model, epoch=0)
    data = (tmp_path / "good.pt").read_bytes()
    for cut in (10, len(data) // 3, len(data) // 2, len(data) - 30):
        (tmp_path / "cut.pt").write_bytes(data[:cut])
        with pytest.raises(rt.CheckpointCorruptError, match=rf"cut\.pt \({cut} bytes\)"):
            rt.load_checkpoint(tmp_path / "cut.pt", model=model)

    (tmp_path / "text.pt").write_text("not a checkpoint at all\n")
    with pytest.raises(rt.CheckpointCorruptError, match="text.pt"):
        rt.load_checkpoint(tmp_path / "text.pt", model=model)

    torch.save({"args": argparse.Namespace(a=1)}, tmp_path / "unsafe.pt")
    with pytest.raises(rt.CheckpointFormatError, match=r"unsafe\.pt.*argparse\.Namespace"):
        rt.load_checkpoint(tmp_path / "unsafe.pt", model=model)

    torch.save(model.state_dict(), tmp_path / "plain.pt")
    with pytest.raises(rt.CheckpointFormatError, match=r"plain\.pt is not a ckptlint checkpoint"):
        rt.load_checkpoint(tmp_path / "plain.pt", model=model)


def test_every_error_is_an_exception() -> None:
    for cls in (rt.CheckpointError, rt.CheckpointCorruptError, rt.CheckpointFormatError,
                rt.CheckpointMismatchError, rt.UnsafeCheckpointValueError):
        assert issubclass(cls, Exception) and issubclass(cls, rt.CheckpointError)


def test_world_size_change_warns(tmp_path, monkeypatch) -> None:
    model, *_ = _parts()
    torch.manual_seed(5)
    rt.save_checkpoint(tmp_path / "c.pt", model=model, epoch=0)
    rank0_draw = torch.rand(3)
    payload = torch.load(tmp_path / "c.pt", weights_only=True)
    other = dict(payload["rng"]["per_rank"][0], rank=1)
    other["torch"] = torch.Generator().manual_seed(99).get_state()
    payload["rng"] = {"world_size": 2, "per_rank": [payload["rng"]["per_rank"][0], other]}
    torch.save(payload, tmp_path / "ws2.pt")
    # shrink 2 -> 1: rank 0 restores its own state, with a warning
    with pytest.warns(RuntimeWarning, match="world size 2, running with 1"):
        rt.load_checkpoint(tmp_path / "ws2.pt", model=model)
    assert torch.equal(torch.rand(3), rank0_draw)
    # grow 1 -> 3 (env fallback, no group): rank 2 takes the last saved rank's state
    monkeypatch.setenv("RANK", "2")
    monkeypatch.setenv("WORLD_SIZE", "3")
    with pytest.warns(RuntimeWarning, match="world size 1, running with 3: rank 2 restores .* rank 0"):
        rt.load_checkpoint(tmp_path / "c.pt", model=model)
    assert torch.equal(torch.rand(3), rank0_draw)


def test_checkpoint_is_a_zip_with_one_pickle(tmp_path) -> None:
    model, *_ = _parts()
    rt.save_checkpoint(tmp_path / "c.pt", model=model, epoch=0)
    names = zipfile.ZipFile(tmp_path / "c.pt").namelist()
    assert sum(n.endswith("data.pkl") for n in names) == 1
    assert [n for n in os.listdir(tmp_path) if n.endswith(".tmp")] == []


OPTIMIZERS = [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {}), ("AdamW", {}), ("RMSprop", {}),
              ("Adagrad", {}), ("Adadelta", {}), ("Adamax", {}), ("NAdam", {}), ("RAdam", {}),
              ("ASGD", {}), ("Rprop", {}), ("Adafactor", {}), ("LBFGS", {})]

L = torch.optim.lr_scheduler
SCHEDULERS = {
    "LambdaLR": lambda o: L.LambdaLR(o, lambda e: 0.9 ** e),
    "MultiplicativeLR": lambda o: L.MultiplicativeLR(o, lambda e: 0.9),
    "StepLR": lambda o: L.StepLR(o, 2), "MultiStepLR": lambda o: L.MultiStepLR(o, [1, 2]),
    "ConstantLR": lambda o: L.ConstantLR(o), "LinearLR": lambda o: L.LinearLR(o),
    "ExponentialLR": lambda o: L.ExponentialLR(o, 0.9), "PolynomialLR": lambda o: L.PolynomialLR(o),
    "CosineAnnealingLR": lambda o: L.CosineAnnealingLR(o, 10),
    "ReduceLROnPlateau": lambda o: L.ReduceLROnPlateau(o),
    "CyclicLR": lambda o: L.CyclicLR(o, 0.01, 0.1, scale_fn=lambda x: 1.0),
    "OneCycleLR": lambda o: L.OneCycleLR(o, 0.1, total_steps=10),
    "CosineAnnealingWarmRestarts": lambda o: L.CosineAnnealingWarmRestarts(o, 5),
    "SequentialLR": lambda o: L.SequentialLR(o, [L.LinearLR(o), L.StepLR(o, 2)], milestones=[2]),
    "ChainedScheduler": lambda o: L.ChainedScheduler([L.LinearLR(o), L.StepLR(o, 2)]),
}


@pytest.mark.parametrize("name, kwargs", OPTIMIZERS, ids=[n for n, _ in OPTIMIZERS])
def test_every_stock_optimizer_round_trips(tmp_path, name, kwargs) -> None:
    if not hasattr(torch.optim, name):
        pytest.skip(f"torch.optim.{name} not in this torch")
    model = torch.nn.Linear(3, 2)
    opt = getattr(torch.optim, name)(model.parameters(), **kwargs)

    def closure():
        opt.zero_grad()
        loss = model(torch.randn(4, 3)).sum()
        loss.backward()
        return loss

    opt.step(closure)
    rt.save_checkpoint(tmp_path / "c.pt", model=model, optimizer=opt, epoch=0)
    opt2 = getattr(torch.optim, name)(model.parameters(), **kwargs)
    rt.load_checkpoint(tmp_path / "c.pt", model=model, optimizer=opt2)
    assert torch.load(tmp_path / "c.pt", weights_only=True)["optimizer"]["state"]


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_every_stock_scheduler_round_trips(tmp_path, name) -> None:
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = SCHEDULERS[name](opt)
    opt.step()
    sched.step(1.0) if name == "ReduceLROnPlateau" else sched.step()
    rt.save_checkpoint(tmp_path / "c.pt", model=model, optimizer=opt, scheduler=sched, epoch=0)
    sched2 = SCHEDULERS[name](torch.optim.SGD(model.parameters(), lr=0.1))
    rt.load_checkpoint(tmp_path / "c.pt", model=model, scheduler=sched2)
    assert sched2.state_dict().keys() == sched.state_dict().keys()
