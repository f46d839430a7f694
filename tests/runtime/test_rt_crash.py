"""A writer SIGKILLed in the middle of a save: atomic_save keeps the old file.

Negative control: the same kill against plain torch.save destroys it.
"""

from __future__ import annotations

import os
import signal
import time

import pytest
import torch

import ckptlint.runtime as rt
from rt_procs import kill_group, start_script

DEADLINE = 60


def _kill_mid_write(mode: str, directory) -> None:
    signal_file = directory.parent / f"{mode}.signal"
    proc = start_script("crash_writer.py", mode, str(directory), str(signal_file))
    try:
        deadline = time.monotonic() + DEADLINE
        while not signal_file.exists():
            if proc.poll() is not None:
                pytest.fail(f"writer exited early ({proc.returncode}):\n{proc.stdout.read()}")
            if time.monotonic() > deadline:
                pytest.fail("writer never reached the middle of the save")
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
    finally:
        kill_group(proc)


def _tmp_files(directory) -> list[str]:
    return [n for n in os.listdir(directory) if n.endswith(".tmp")]


@pytest.mark.slow
def test_atomic_save_survives_sigkill(tmp_path) -> None:
    directory = tmp_path / "ckpts"
    _kill_mid_write("atomic", directory)
    loaded = torch.load(directory / "ckpt.pt", map_location="cpu", weights_only=True)
    assert loaded["version"] == 1 and torch.equal(loaded["w"], torch.full((4096,), 1.0))
    assert len(_tmp_files(directory)) == 1  # SIGKILL cannot run cleanup ...
    mgr = rt.CheckpointManager(directory)  # ... the manager removes it on start
    assert _tmp_files(directory) == []
    mgr.save(model=torch.nn.Linear(2, 2), epoch=0)
    assert _tmp_files(directory) == []


@pytest.mark.slow
def test_manager_save_killed_resumes_from_previous(tmp_path) -> None:
    directory = tmp_path / "ckpts"
    _kill_mid_write("manager", directory)
    assert len(_tmp_files(directory)) == 1
    mgr = rt.CheckpointManager(directory)
    assert _tmp_files(directory) == []
    assert mgr.latest() == str(directory / "epoch=000000.pt")
    info = mgr.resume(model=torch.nn.Linear(64, 64))
    assert info is not None and info.next_epoch == 1
    mgr.save(model=torch.nn.Linear(64, 64), epoch=1)
    assert _tmp_files(directory) == []
    assert mgr.latest() == str(directory / "epoch=000001.pt")


@pytest.mark.slow
def test_plain_torch_save_is_corrupted(tmp_path) -> None:
    directory = tmp_path / "ckpts"
    _kill_mid_write("plain", directory)
    # the raw error depends on where the file was cut (OSError, RuntimeError, ...)
    with pytest.raises((RuntimeError, OSError, ValueError, EOFError)):
        torch.load(directory / "ckpt.pt", map_location="cpu", weights_only=True)
    with pytest.raises(rt.CheckpointCorruptError, match="ckpt.pt"):
        rt.load_checkpoint(directory / "ckpt.pt", model=torch.nn.Linear(1, 1))
