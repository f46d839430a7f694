"""CheckpointManager: retention, best, NaN, keep_every, latest() fallback, cleanup."""

from __future__ import annotations

import os
import warnings

import pytest
import torch

import ckptlint.runtime as rt
from ckptlint.runtime.format import LOCK_NAME
from rt_procs import dead_pid, temp_name


@pytest.fixture
def model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Linear(3, 2)


def _names(directory) -> set[str]:
    return set(os.listdir(directory)) - {LOCK_NAME}


def _e(i: int) -> str:
    return f"epoch={i:06d}.pt"


def test_keep_last_exact_set_and_pointers(tmp_path, model) -> None:
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    mgr = rt.CheckpointManager(tmp_path, keep_last=2)
    for epoch in range(5):
        path = mgr.save(model=model, optimizer=opt, epoch=epoch)
        assert path == str(tmp_path / _e(epoch))
    assert _names(tmp_path) == {_e(3), _e(4), "latest.pt"}
    assert mgr.latest() == str(tmp_path / _e(4)) and mgr.best() is None
    pointer = torch.load(tmp_path / "latest.pt", weights_only=True)
    assert pointer["file"] == _e(4) and pointer["epoch"] == 4


def test_best_kept_outside_keep_last_and_nan_never_best(tmp_path, model) -> None:
    mgr = rt.CheckpointManager(tmp_path, keep_last=2, monitor="val_loss", mode="min")
    for epoch, loss in enumerate([3.0, 1.0, float("nan"), 2.0, float("nan"), 5.0]):
        mgr.save(model=model, epoch=epoch, metrics={"val_loss": torch.tensor(loss)})
    assert _names(tmp_path) == {_e(1), _e(4), _e(5), "latest.pt", "best.pt"}
    assert mgr.best() == str(tmp_path / _e(1))
    best = torch.load(tmp_path / "best.pt", weights_only=True)
    assert best["value"] == 1.0 and best["monitor"] == "val_loss"
    assert rt.load_checkpoint(mgr.best(), model=model).extra["metrics"] == {"val_loss": 1.0}


def test_nan_first_is_not_best_and_max_mode(tmp_path, model) -> None:
    mgr = rt.CheckpointManager(tmp_path, keep_last=1, monitor="acc", mode="max")
    mgr.save(model=model, epoch=0, metrics={"acc": float("nan")})
    assert mgr.best() is None
    mgr.save(model=model, epoch=1, metrics={"acc": 0.5})
    mgr.save(model=model, epoch=2, metrics={"acc": 0.4})
    mgr.save(model=model, epoch=3, metrics={"acc": 0.5})  # a tie is not an improvement
    assert mgr.best() == str(tmp_path / _e(1))
    assert _names(tmp_path) == {_e(1), _e(3), "latest.pt", "best.pt"}


def test_best_survives_restart(tmp_path, model) -> None:
    mgr = rt.CheckpointManager(tmp_path, keep_last=1, monitor="loss")
    mgr.save(model=model, epoch=0, metrics={"loss": 1.0})
    mgr.save(model=model, epoch=1, metrics={"loss": 2.0})
    again = rt.CheckpointManager(tmp_path, keep_last=1, monitor="loss")
    again.save(model=model, epoch=2, metrics={"loss": 1.5})
    assert again.best() == str(tmp_path / _e(0))
    assert _names(tmp_path) == {_e(0), _e(2), "latest.pt", "best.pt"}


def test_keep_every_keeps_periodic(tmp_path, model) -> None:
    mgr = rt.CheckpointManager(tmp_path, keep_last=1, keep_every=3)
    for epoch in range(8):
        mgr.save(model=model, epoch=epoch)
    assert _names(tmp_path) == {_e(2), _e(5), _e(7), "latest.pt"}


def test_step_names_and_order(tmp_path, model) -> None:
    mgr = rt.CheckpointManager(tmp_path, keep_last=2)
    for step in (5, 10, 100):
        mgr.save(model=model, epoch=0, step=step)
    assert _names(tmp_path) == {"epoch=000000-step=000000010.pt", "epoch=000000-step=000000100.pt",
                                "latest.pt"}


def test_latest_skips_corrupt_newest_with_warning(tmp_path, model) -> None:
    mgr = rt.CheckpointManager(tmp_path, keep_last=3)
    for epoch in range(3):
        mgr.save(model=model, epoch=epoch)
    (tmp_path / _e(2)).write_bytes(b"")  # what a crash during a non-atomic copy leaves
    with pytest.warns(RuntimeWarning, match=r"skipping unreadable checkpoint .*epoch=000002"):
        assert mgr.latest() == str(tmp_path / _e(1))
    data = (tmp_path / _e(1)).read_bytes()
    (tmp_path / _e(1)).write_bytes(data[: len(data) // 2])
    with pytest.warns(RuntimeWarning):
        info = mgr.resume(model=model)
    assert info is not None and info.next_epoch == 1


def test_latest_without_pointer_uses_newest_file(tmp_path, model) -> None:
    mgr = rt.CheckpointManager(tmp_path)
    mgr.save(model=model, epoch=0)
    mgr.save(model=model, epoch=1)
    os.remove(tmp_path / "latest.pt")
    assert mgr.latest() == str(tmp_path / _e(1))


def test_empty_dir_resume_returns_none(tmp_path, model) -> None:
    mgr = rt.CheckpointManager(tmp_path / "new")
    assert mgr.latest() is None and mgr.resume(model=model) is None


def test_stale_temp_files_removed_on_start(tmp_path, model) -> None:
    crashed = temp_name("epoch=000003.pt", dead_pid())
    running = temp_name("epoch=000004.pt", os.getpid())  # a save in progress (this process)
    old_style = ".epoch=000005.pt.k2v9x_q1.tmp"  # an older ckptlint's name: no writer recorded
    for name in (crashed, running, old_style):
        (tmp_path / name).write_bytes(b"PK partial")
    (tmp_path / "notes.txt").write_text("keep me")
    rt.CheckpointManager(tmp_path)
    assert _names(tmp_path) == {"notes.txt", running, old_style}
    day_ago = os.path.getmtime(tmp_path / old_style) - 2 * 24 * 3600
    os.utime(tmp_path / old_style, (day_ago, day_ago))
    rt.CheckpointManager(tmp_path)
    assert _names(tmp_path) == {"notes.txt", running}


def test_every_file_loads_weights_only(tmp_path, model) -> None:
    opt = torch.optim.Adam(model.parameters())
    mgr = rt.CheckpointManager(tmp_path, monitor="loss")
    mgr.save(model=model, optimizer=opt, epoch=0, metrics={"loss": 1.0}, note="x")
    for name in _names(tmp_path):
        torch.load(tmp_path / name, map_location="cpu", weights_only=True)
        assert torch.serialization.get_unsafe_globals_in_checkpoint(str(tmp_path / name)) == []


def test_missing_monitor_warns_and_keeps_no_best(tmp_path, model) -> None:
    mgr = rt.CheckpointManager(tmp_path, monitor="loss")
    with pytest.warns(RuntimeWarning, match="'loss' not in metrics"):
        mgr.save(model=model, epoch=0, metrics={"acc": 1.0})
    assert mgr.best() is None


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError):
        rt.CheckpointManager("x", mode="best")
    with pytest.raises(ValueError):
        rt.CheckpointManager("x", keep_last=0)


def test_no_warnings_on_clean_path(tmp_path, model) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        mgr = rt.CheckpointManager(tmp_path, keep_last=1, monitor="loss")
        mgr.save(model=model, epoch=0, metrics={"loss": 1.0})
        assert mgr.resume(model=model).next_epoch == 1


def test_load_checkpoint_follows_pointer_files(tmp_path, model) -> None:
    mgr = rt.CheckpointManager(tmp_path, monitor="loss")
    mgr.save(model=model, epoch=0, metrics={"loss": 1.0})
    mgr.save(model=model, epoch=1, metrics={"loss": 2.0})
    assert rt.load_checkpoint(tmp_path / "latest.pt", model=model).next_epoch == 2
    assert rt.load_checkpoint(tmp_path / "best.pt", model=model).next_epoch == 1
