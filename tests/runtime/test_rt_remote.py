"""Checkpoints at fsspec URLs: memory:// and file:// round trips, CheckpointManager on a
URL, and an upload that fails half-way leaving the previous checkpoint in place."""

from __future__ import annotations

import os
import uuid

import pytest
import torch

import ckptlint.runtime as rt
from ckptlint.runtime.errors import CheckpointCorruptError
from rt_procs import dead_pid, temp_name

fsspec = pytest.importorskip("fsspec")


@pytest.fixture
def memory_dir():
    """A fresh ``memory://`` directory (the memory filesystem is global to the process)."""
    fs = fsspec.filesystem("memory")
    root = f"/ckptlint-test-{uuid.uuid4().hex}"
    yield f"memory:/{root}", fs, root
    if fs.exists(root):
        fs.rm(root, recursive=True)


def _model(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Linear(4, 3)


def _names(fs, root: str) -> list[str]:
    return sorted(os.path.basename(p) for p in fs.ls(root, detail=False))


def _same(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_memory_url_round_trip(memory_dir) -> None:
    url, fs, root = memory_dir
    model = _model(0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(2, 4)).sum().backward()
    opt.step()
    assert rt.save_checkpoint(f"{url}/c.pt", model=model, optimizer=opt, epoch=2, note="m") == f"{url}/c.pt"
    assert _names(fs, root) == ["c.pt"]  # no temporary object left beside it
    with fs.open(f"{root}/c.pt", "rb") as fh:  # a plain weights_only load of the object
        assert torch.load(fh, weights_only=True)["format"] == "ckptlint.checkpoint/2"
    fresh = _model(1)
    opt2 = torch.optim.SGD(fresh.parameters(), lr=0.1, momentum=0.9)
    info = rt.load_checkpoint(f"{url}/c.pt", model=fresh, optimizer=opt2)
    assert (info.next_epoch, info.extra, info.path) == (3, {"note": "m"}, f"{url}/c.pt")
    assert _same(model, fresh)
    assert all(torch.equal(opt.state[p]["momentum_buffer"], opt2.state[q]["momentum_buffer"])
               for p, q in zip(model.parameters(), fresh.parameters()))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        rt.load_checkpoint(f"{url}/missing.pt", model=fresh)


def test_manager_on_a_memory_url(memory_dir) -> None:
    url, fs, root = memory_dir
    killed = temp_name("latest.pt", dead_pid())
    fs.pipe(f"{root}/{killed}", b"left by a killed upload from this host")
    running = temp_name("best.pt", os.getpid())
    fs.pipe(f"{root}/{running}", b"an upload in progress")
    mgr = rt.CheckpointManager(url, keep_last=2, monitor="loss")
    assert not fs.exists(f"{root}/{killed}")  # removed on start
    fs.rm(f"{root}/{running}")  # (it was left alone)
    model = _model(0)
    for epoch, loss in enumerate([3.0, 1.0, 2.0, 4.0]):
        assert mgr.save(model=model, epoch=epoch, metrics={"loss": loss}) == f"{url}/epoch={epoch:06d}.pt"
    assert _names(fs, root) == ["best.pt", "epoch=000001.pt", "epoch=000002.pt",
                                "epoch=000003.pt", "latest.pt"]
    assert mgr.latest() == f"{url}/epoch=000003.pt" and mgr.best() == f"{url}/epoch=000001.pt"
    info = rt.CheckpointManager(url, monitor="loss").resume(model=_model(1))
    assert info.next_epoch == 4 and info.extra["metrics"] == {"loss": 4.0}
    assert rt.load_checkpoint(f"{url}/best.pt", model=_model(1)).epoch == 1  # pointer followed

    fs.rm(f"{root}/latest.pt")
    fs.pipe(f"{root}/epoch=000004.pt", b"not a zip archive")  # e.g. written by another tool
    with pytest.warns(RuntimeWarning, match="epoch=000004.pt"):
        assert mgr.latest() == f"{url}/epoch=000003.pt"


def test_file_url_uses_the_local_atomic_path(tmp_path) -> None:
    url = tmp_path.as_uri()
    model = _model(0)
    assert rt.save_checkpoint(f"{url}/c.pt", model=model, epoch=0) == str(tmp_path / "c.pt")
    fresh = _model(1)
    assert rt.load_checkpoint(f"{url}/c.pt", model=fresh).next_epoch == 1 and _same(model, fresh)
    mgr = rt.CheckpointManager(f"{url}/mgr")
    assert mgr.dir == str(tmp_path / "mgr")
    mgr.save(model=model, epoch=5)
    assert mgr.latest() == str(tmp_path / "mgr" / "epoch=000005.pt")
    assert rt.save_sharded_checkpoint(f"{url}/sharded", model=model, epoch=1) == str(
        tmp_path / "sharded" / "epoch=000001")


def _put_half_then_fail(self, lpath, rpath, **kwargs):
    """A connection that drops half-way through fsspec's generic put_file."""
    with open(lpath, "rb") as src, self.open(rpath, "wb") as dst:
        data = src.read()
        dst.write(data[: len(data) // 2])
        raise ConnectionError("connection reset during upload")


def test_failed_upload_leaves_the_previous_checkpoint(memory_dir, monkeypatch) -> None:
    url, fs, root = memory_dir
    old = _model(0)
    rt.save_checkpoint(f"{url}/c.pt", model=old, epoch=1)
    monkeypatch.setattr(type(fs), "put_file", _put_half_then_fail)
    with pytest.raises(ConnectionError):
        rt.save_checkpoint(f"{url}/c.pt", model=_model(1), epoch=2)
    assert _names(fs, root) == ["c.pt"]  # no partial object, no temporary left
    loaded = _model(2)
    assert rt.load_checkpoint(f"{url}/c.pt", model=loaded).epoch == 1 and _same(old, loaded)


def test_negative_control_a_direct_put_tears_the_object(memory_dir, monkeypatch, tmp_path) -> None:
    """Why memory:// (and every scheme without whole-object PUT) goes through a temporary name."""
    url, fs, root = memory_dir
    rt.save_checkpoint(f"{url}/c.pt", model=_model(0), epoch=1)
    local = rt.save_checkpoint(tmp_path / "new.pt", model=_model(1), epoch=2)
    monkeypatch.setattr(type(fs), "put_file", _put_half_then_fail)
    with pytest.raises(ConnectionError):
        fs.put_file(local, f"{root}/c.pt")
    with pytest.raises(CheckpointCorruptError):
        rt.load_checkpoint(f"{url}/c.pt", model=_model(2))
