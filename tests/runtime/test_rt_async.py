"""Asynchronous saves: a snapshot at call time, the same atomic protocol in the background,
waiting, failures raised at the next call, retention only once the checkpoint is durable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import torch

import ckptlint.runtime as rt
import ckptlint.runtime.checkpoint as ckpt_mod
from ckptlint.runtime import background
from rt_procs import kill_group, start_script, subprocess_env

DEADLINE = 60


@pytest.fixture(autouse=True)
def _no_pending_write():
    """Each test starts and ends with no background write (a failure is never left over)."""
    background.finish_previous()
    yield
    background.finish_previous()


@pytest.fixture
def gate(monkeypatch):
    """Background writes wait at the gate until the test opens it (``gate.set()``)."""
    event = threading.Event()
    real = ckpt_mod.atomic_save

    def gated(*args, **kwargs):
        assert event.wait(DEADLINE), "the test never opened the gate"
        return real(*args, **kwargs)

    monkeypatch.setattr(ckpt_mod, "atomic_save", gated)
    yield event
    event.set()


def _trained():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Linear(16, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(4, 8)).sum().backward()
    opt.step()
    return model, opt


def test_the_file_holds_the_state_at_call_time(tmp_path, gate) -> None:
    model, opt = _trained()
    expected = {k: v.clone() for k, v in model.state_dict().items()}
    momentum = opt.state_dict()["state"][0]["momentum_buffer"].clone()
    handle = rt.save_checkpoint(tmp_path / "c.pt", model=model, optimizer=opt, epoch=0,
                                asynchronous=True)
    assert isinstance(handle, rt.AsyncSave) and not handle.done()
    assert not (tmp_path / "c.pt").exists()  # nothing under the final name before it is complete
    model(torch.randn(4, 8)).sum().backward()  # the loop goes on: parameters and dicts change
    opt.step()
    opt.param_groups[0]["lr"] = 0.5
    gate.set()
    assert handle.wait() == str(tmp_path / "c.pt") and handle.done()
    fresh, fresh_opt = _trained()
    fresh_opt.param_groups[0]["lr"] = 0.3
    rt.load_checkpoint(tmp_path / "c.pt", model=fresh, optimizer=fresh_opt)
    assert all(torch.equal(fresh.state_dict()[k], v) for k, v in expected.items())
    assert torch.equal(fresh_opt.state_dict()["state"][0]["momentum_buffer"], momentum)
    assert fresh_opt.param_groups[0]["lr"] == 0.1


def test_the_next_save_reuses_the_copy_and_both_files_are_right(tmp_path) -> None:
    from ckptlint.runtime import staging
    model, _ = _trained()
    first = {k: v.clone() for k, v in model.state_dict().items()}
    rt.save_checkpoint(tmp_path / "a.pt", model=model, epoch=0, asynchronous=True).wait()
    kept = sorted(s.data_ptr() for storages in staging._pool.values() for s in storages)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(-3.0)
    rt.save_checkpoint(tmp_path / "b.pt", model=model, epoch=1, asynchronous=True).wait()
    assert sorted(s.data_ptr() for storages in staging._pool.values() for s in storages) == kept
    a, b = (torch.load(tmp_path / n, weights_only=True)["model"] for n in ("a.pt", "b.pt"))
    assert all(torch.equal(a[k], first[k]) and torch.equal(b[k], first[k] * -3.0) for k in first)
    staging.release()
    assert staging._pool == {}


def test_shared_storage_stays_shared(tmp_path) -> None:
    model = torch.nn.Sequential(torch.nn.Embedding(1000, 64), torch.nn.Linear(64, 1000))
    model[1].weight = model[0].weight  # tied weights: one storage
    rt.save_checkpoint(tmp_path / "sync.pt", model=model, epoch=0)
    rt.save_checkpoint(tmp_path / "async.pt", model=model, epoch=0, asynchronous=True).wait()
    sizes = [os.path.getsize(tmp_path / name) for name in ("sync.pt", "async.pt")]
    assert abs(sizes[0] - sizes[1]) < 4096, sizes  # not a second copy of the 256 KB table
    loaded = torch.load(tmp_path / "async.pt", weights_only=True)["model"]
    assert loaded["0.weight"].untyped_storage().data_ptr() == loaded["1.weight"].untyped_storage().data_ptr()


def test_a_failed_write_raises_at_the_next_call_once(tmp_path, monkeypatch) -> None:
    model, _ = _trained()
    real, calls = ckpt_mod.atomic_save, []

    def denied_once(*args, **kwargs):
        calls.append(args[1])
        if len(calls) == 1:
            raise PermissionError(13, "Permission denied", str(tmp_path / "c.pt"))
        return real(*args, **kwargs)

    monkeypatch.setattr(ckpt_mod, "atomic_save", denied_once)
    rt.save_checkpoint(tmp_path / "c.pt", model=model, epoch=0, asynchronous=True)
    with pytest.raises(rt.CheckpointError, match=r"asynchronous save of .*c\.pt failed: "
                                                 r"PermissionError") as caught:
        rt.save_checkpoint(tmp_path / "d.pt", model=model, epoch=1)
    assert isinstance(caught.value.__cause__, PermissionError)
    assert not (tmp_path / "d.pt").exists()  # that call raised instead of saving
    assert rt.save_checkpoint(tmp_path / "d.pt", model=model, epoch=1) == str(tmp_path / "d.pt")


def test_wait_raises_the_failure(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(ckpt_mod, "atomic_save", lambda *a, **k: 1 / 0)
    handle = rt.save_checkpoint(tmp_path / "c.pt", model=torch.nn.Linear(2, 2), epoch=0,
                                asynchronous=True)
    with pytest.raises(rt.CheckpointError, match="ZeroDivisionError"):
        handle.wait()
    handle.wait()  # reported once


def test_manager_prunes_and_moves_pointers_only_once_durable(tmp_path, gate) -> None:
    model, _ = _trained()
    gate.set()
    mgr = rt.CheckpointManager(tmp_path, keep_last=1, asynchronous=True)
    mgr.save(model=model, epoch=0).wait()
    gate.clear()
    handle = mgr.save(model=model, epoch=1)
    time.sleep(0.2)  # give a wrong implementation the time to prune early
    assert (tmp_path / "epoch=000000.pt").exists() and not (tmp_path / "epoch=000001.pt").exists()
    assert mgr.latest() == str(tmp_path / "epoch=000000.pt")
    gate.set()
    mgr.wait()
    assert handle.done() and mgr.latest() == str(tmp_path / "epoch=000001.pt")
    assert not (tmp_path / "epoch=000000.pt").exists()
    mgr.close()


def test_manager_close_waits_and_a_context_manager_closes(tmp_path) -> None:
    model, _ = _trained()
    with rt.CheckpointManager(tmp_path, asynchronous=True) as mgr:
        handle = mgr.save(model=model, epoch=0)
    assert handle.done() and rt.CheckpointManager(tmp_path).latest() == str(tmp_path / "epoch=000000.pt")


def test_loading_while_the_save_runs_warns(tmp_path, gate) -> None:
    model, _ = _trained()
    gate.set()
    rt.save_checkpoint(tmp_path / "c.pt", model=model, epoch=0)
    gate.clear()
    handle = rt.save_checkpoint(tmp_path / "c.pt", model=model, epoch=1, asynchronous=True)
    with pytest.warns(RuntimeWarning, match="asynchronous save to it is still running"):
        assert rt.load_checkpoint(tmp_path / "c.pt", model=model).epoch == 0
    gate.set()
    handle.wait()
    assert rt.load_checkpoint(tmp_path / "c.pt", model=model).epoch == 1


def test_sharded_managers_refuse_asynchronous(tmp_path) -> None:
    with pytest.raises(ValueError, match="asynchronous=True is not supported with sharded=True"):
        rt.CheckpointManager(tmp_path, sharded=True, asynchronous=True)


EXIT_WITHOUT_WAITING = r"""
import sys, torch, ckptlint.runtime as rt, ckptlint.runtime.checkpoint as c
path = sys.argv[1]
if sys.argv[2] == "fail":
    c.atomic_save = lambda *a, **k: 1 / 0
rt.save_checkpoint(path, model=torch.nn.Linear(512, 512), epoch=7, asynchronous=True)
print("returned")  # and the interpreter exits with the write in flight
"""


@pytest.mark.parametrize("outcome", ["ok", "fail"])
def test_process_exit_waits_for_the_write(tmp_path, outcome) -> None:
    proc = subprocess.run([sys.executable, "-c", EXIT_WITHOUT_WAITING, str(tmp_path / "c.pt"), outcome],
                          env=subprocess_env(), capture_output=True, text=True, timeout=DEADLINE)
    assert proc.returncode == 0 and proc.stdout.strip() == "returned", proc.stderr
    if outcome == "ok":
        assert rt.load_checkpoint(tmp_path / "c.pt", model=torch.nn.Linear(512, 512)).epoch == 7
    else:
        assert "asynchronous save of" in proc.stderr and "ZeroDivisionError" in proc.stderr
        assert not (tmp_path / "c.pt").exists()


@pytest.mark.slow
def test_sigkill_during_the_background_write_keeps_the_previous_checkpoint(tmp_path) -> None:
    directory, signal_file = tmp_path / "ckpts", tmp_path / "half"
    proc = start_script("crash_writer.py", "async", str(directory), str(signal_file))
    try:
        end = time.monotonic() + DEADLINE
        while not signal_file.exists():
            if proc.poll() is not None or time.monotonic() > end:
                pytest.fail(f"the writer never reached the middle of the write:\n{proc.stdout.read()}")
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        kill_group(proc)
    model = torch.nn.Linear(64, 64)
    info = rt.load_checkpoint(directory / "ckpt.pt", model=model)  # verified
    assert info.epoch == 0 and torch.equal(model.weight, torch.ones(64, 64))
    assert len([n for n in os.listdir(directory) if n.endswith(".tmp")]) == 1
    rt.save_checkpoint(directory / "ckpt.pt", model=model, epoch=1)  # the next write cleans up
    assert [n for n in os.listdir(directory) if n.endswith(".tmp")] == []
