"""Sharded (DCP) checkpoints: FSDP2 on 2 gloo ranks, a writer killed before its
``.metadata``, single-process round trips, errors, and CheckpointManager(sharded=True)."""

from __future__ import annotations

import os
import random
import time
import warnings

import pytest
import torch

import ckptlint.runtime as rt
from ckptlint.runtime.errors import (CheckpointCorruptError, CheckpointFormatError,
                                     CheckpointMismatchError, UnsafeCheckpointValueError)
from rt_procs import dead_pid, kill_group, launch_ranks, listing, start_script, temp_name


@pytest.fixture
def keep_rng():
    """Loading restores the saved RNG into this process: put the test process's back after."""
    state = rt.capture_rng_state()
    yield
    rt.restore_rng_state(state)


def _model(seed: int = 0, extra_layer: bool = False) -> torch.nn.Module:
    torch.manual_seed(seed)
    layers = [torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2)]
    return torch.nn.Sequential(*layers, *([torch.nn.Linear(2, 2)] if extra_layer else []))


def _trained() -> tuple[torch.nn.Module, torch.optim.Optimizer, object, object]:
    model = _model()
    opt = torch.optim.AdamW(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    scaler = torch.amp.GradScaler("cpu", init_scale=1024.0)
    for _ in range(2):
        opt.zero_grad()
        model(torch.randn(8, 3)).pow(2).mean().backward()
        opt.step()
        sched.step()
    return model, opt, sched, scaler


def _shifted(model: torch.nn.Module) -> torch.nn.Module:
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)  # so that a load that does nothing fails the comparison
    return model


def _same_state(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


# -- 2 processes: FSDP2 (then FSDP1, DTensor tensor parallel, DDP) -----------------
@pytest.mark.slow
def test_fsdp2_two_ranks_resume_into_fresh_models(tmp_path, keep_rng) -> None:
    results = launch_ranks("sharded_worker.py", [str(tmp_path)], tmp_path)
    folder = tmp_path / "ckpt" / "epoch=000001"
    for r in results:
        assert r["param_type"] == "DTensor"  # really sharded by fully_shard
        assert r["params_equal"] and r["exp_avg_equal"] and r["adam_step"] == 2.0
        assert r["own_rng"] and r["next_epoch"] == 2 and r["extra"] == {"note": "fsdp2"}
        assert r["path"] == str(folder) and r["world_size"] == 2
        assert r["files"] == ["epoch=000001", "latest.pt"]  # keep_last=1 removed epoch 0
        assert r["other_kinds"] == {"fsdp1": True, "tp": True, "ddp": True}
    assert results[0]["params"] == results[1]["params"]
    assert results[0]["draws"] != results[1]["draws"]  # each rank got its own RNG back
    assert sorted(os.listdir(folder)) == [".metadata", "__0_0.distcp", "__1_0.distcp"]

    # A world-size change: one process loads the 2-rank checkpoint into a plain model.
    plain = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    with pytest.warns(RuntimeWarning, match="saved with world size 2, running with 1"):
        info = rt.load_sharded_checkpoint(tmp_path / "ckpt", model=plain)
    assert info.next_epoch == 2
    assert torch.cat([p.detach().flatten() for p in plain.parameters()]).tolist() == results[0]["params"]


@pytest.mark.slow
def test_writer_killed_before_metadata_is_skipped(tmp_path) -> None:
    ckpt, signal = tmp_path / "ckpt", tmp_path / "in_finish"
    proc = start_script("sharded_crash_writer.py", str(ckpt), str(signal))
    try:
        deadline = time.monotonic() + 60
        while not signal.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                kill_group(proc)
                pytest.fail(f"the writer never reached DCP's finish:\n{proc.stdout.read()}")
            time.sleep(0.05)
    finally:
        kill_group(proc)
    killed = ckpt / "epoch=000001"
    assert os.listdir(killed) == ["__0_0.distcp"]  # shards written, no .metadata

    mgr = rt.CheckpointManager(ckpt, sharded=True)
    assert killed.exists()  # the newest incomplete folder is never deleted on start
    assert mgr.latest() == str(ckpt / "epoch=000000")  # latest.pt still names epoch 0
    os.remove(ckpt / "latest.pt")  # without the pointer, the scan must skip the torn folder
    with pytest.warns(RuntimeWarning, match="epoch=000001.*no .metadata"):
        assert mgr.latest() == str(ckpt / "epoch=000000")
    with pytest.raises(CheckpointCorruptError, match="incomplete"):
        rt.load_sharded_checkpoint(killed, model=torch.nn.Linear(4, 3))

    # The next save of epoch 1 goes to a fresh folder, then removes the abandoned one.
    assert mgr.save(model=torch.nn.Linear(4, 3), epoch=1) == str(ckpt / "epoch=000001.1")
    assert listing(os.listdir(ckpt)) == ["epoch=000000", "epoch=000001.1", "latest.pt"]


# -- one process, no process group -------------------------------------------------
def test_single_process_round_trip_into_fresh_objects(tmp_path, keep_rng) -> None:
    model, opt, sched, scaler = _trained()
    path = rt.save_sharded_checkpoint(tmp_path, model=model, optimizer=opt, scheduler=sched,
                                      scaler=scaler, epoch=4, step=40, note="x")
    assert path == str(tmp_path / "epoch=000004-step=000000040")
    assert sorted(os.listdir(path)) == [".metadata", "__0_0.distcp"]
    pointer = torch.load(tmp_path / "latest.pt", weights_only=True)
    assert pointer["file"] == "epoch=000004-step=000000040" and pointer["epoch"] == 4
    expected = (torch.rand(3), random.random())

    fresh = _shifted(_model(seed=1))
    opt2 = torch.optim.AdamW(fresh.parameters(), lr=0.1)
    sched2 = torch.optim.lr_scheduler.StepLR(opt2, step_size=1, gamma=0.5)
    scaler2 = torch.amp.GradScaler("cpu")
    info = rt.load_sharded_checkpoint(tmp_path, model=fresh, optimizer=opt2, scheduler=sched2,
                                      scaler=scaler2)
    assert (info.next_epoch, info.epoch, info.step, info.extra) == (5, 4, 40, {"note": "x"})
    assert info.path == path and info.meta["world_size"] == 1
    assert _same_state(model, fresh)
    for p, q in zip(model.parameters(), fresh.parameters()):
        assert torch.equal(opt.state[p]["exp_avg"], opt2.state[q]["exp_avg"])
    assert sched2.state_dict() == sched.state_dict() and scaler2.get_scale() == 1024.0
    assert torch.equal(torch.rand(3), expected[0]) and random.random() == expected[1]


def test_second_save_of_a_step_goes_to_a_fresh_folder(tmp_path) -> None:
    first_model, second_model = _model(0), _model(1)
    first = rt.save_sharded_checkpoint(tmp_path, model=first_model, epoch=1)
    second = rt.save_sharded_checkpoint(tmp_path, model=second_model, epoch=1)
    assert second == first + ".1"
    target = _model(2)
    assert rt.load_sharded_checkpoint(tmp_path, model=target).path == second
    assert _same_state(target, second_model)
    rt.load_sharded_checkpoint(first, model=target)  # the first is intact and loadable
    assert _same_state(target, first_model)


def test_strict_and_missing_parts(tmp_path) -> None:
    rt.save_sharded_checkpoint(tmp_path, model=_model(), epoch=0)
    with pytest.raises(CheckpointMismatchError, match=r"missing keys \['3.weight', '3.bias'\]"):
        rt.load_sharded_checkpoint(tmp_path, model=_model(extra_layer=True))
    info = rt.load_sharded_checkpoint(tmp_path, model=_model(extra_layer=True), strict=False)
    assert info.missing_keys == ["3.weight", "3.bias"] and info.unexpected_keys == []
    smaller = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    info = rt.load_sharded_checkpoint(tmp_path, model=smaller, strict=False)
    assert info.unexpected_keys == ["2.bias", "2.weight"] and info.missing_keys == []
    model = _model()
    with pytest.raises(CheckpointFormatError, match="holds no optimizer state"):
        rt.load_sharded_checkpoint(tmp_path, model=model,
                                   optimizer=torch.optim.SGD(model.parameters(), lr=0.1))


def test_dcp_failures_become_checkpoint_errors(tmp_path) -> None:
    path = rt.save_sharded_checkpoint(tmp_path, model=_model(), epoch=0)
    shard = os.path.join(path, "__0_0.distcp")
    with open(shard, "r+b") as fh:
        fh.truncate(os.path.getsize(shard) // 2)
    with pytest.raises(CheckpointCorruptError) as caught:  # DCP raised a BaseException
        rt.load_sharded_checkpoint(tmp_path, model=_model())
    assert isinstance(caught.value, Exception)
    assert type(caught.value.__cause__).__name__ == "CheckpointException"


def test_nothing_is_written_for_bad_input(tmp_path) -> None:
    with pytest.raises(UnsafeCheckpointValueError, match="extra\\['when'\\]"):
        rt.save_sharded_checkpoint(tmp_path, model=_model(), epoch=0, when=tmp_path)
    with pytest.raises(TypeError, match="epoch must be an int"):
        rt.save_sharded_checkpoint(tmp_path, model=_model(), epoch=1.0)
    assert os.listdir(tmp_path) == []
    with pytest.raises(ValueError, match="local or shared filesystem"):
        rt.save_sharded_checkpoint("s3://bucket/run", model=_model(), epoch=0)
    with pytest.raises(FileNotFoundError, match="no complete sharded checkpoint"):
        rt.load_sharded_checkpoint(tmp_path, model=_model())
    rt.save_sharded_checkpoint(tmp_path, model=_model(), epoch=0)
    with pytest.raises(FileNotFoundError, match="load_sharded_checkpoint"):
        rt.load_checkpoint(tmp_path, model=_model())


# -- CheckpointManager(sharded=True) ----------------------------------------------------
def test_manager_retention_on_step_folders(tmp_path, keep_rng) -> None:
    mgr = rt.CheckpointManager(tmp_path, keep_last=2, keep_every=3, monitor="loss", sharded=True)
    model = _model()
    for epoch, loss in enumerate([5.0, 1.0, 4.0, 3.0, 6.0, 7.0]):
        mgr.save(model=model, epoch=epoch, metrics={"loss": loss})
    # keep_last=2: epochs 4, 5; keep_every=3: epochs 2, 5; best: epoch 1
    kept = ["epoch=000001", "epoch=000002", "epoch=000004", "epoch=000005"]
    assert listing(os.listdir(tmp_path)) == ["best.pt"] + kept + ["latest.pt"]
    assert all(os.path.isfile(tmp_path / name / ".metadata") for name in kept)
    assert mgr.latest() == str(tmp_path / "epoch=000005")
    assert mgr.best() == str(tmp_path / "epoch=000001")
    info = mgr.resume(model=_shifted(_model(3)))
    assert info.next_epoch == 6 and info.extra == {"metrics": {"loss": 7.0}}


def test_only_the_writer_removes_superseded_incomplete_folders(tmp_path) -> None:
    with rt.CheckpointManager(tmp_path, sharded=True, keep_last=None) as mgr:
        for epoch in (0, 2):
            mgr.save(model=_model(), epoch=epoch)
    (tmp_path / "epoch=000001").mkdir()  # abandoned: older than the complete epoch 2
    (tmp_path / "epoch=000001" / "__0_0.distcp").write_bytes(b"partial")
    (tmp_path / "epoch=000003").mkdir()  # newest: its writer may still be running
    (tmp_path / temp_name("latest.pt", dead_pid())).write_bytes(b"partial")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reader = rt.CheckpointManager(tmp_path, sharded=True)
        assert reader.latest() == str(tmp_path / "epoch=000002")
    # a reader removes the crashed temporary file, and no folder: it cannot know who writes them
    assert listing(os.listdir(tmp_path)) == ["epoch=000000", "epoch=000001", "epoch=000002",
                                             "epoch=000003", "latest.pt"]
    with rt.CheckpointManager(tmp_path, sharded=True, keep_last=None) as writer:
        writer.save(model=_model(), epoch=4)  # holds the lock: 1 and 3 are abandoned now
    assert listing(os.listdir(tmp_path)) == ["epoch=000000", "epoch=000002", "epoch=000004",
                                             "latest.pt"]
    with pytest.raises(ValueError, match="filesystem path"):
        rt.CheckpointManager("memory://run", sharded=True)
