"""Saves on preemption: a signal sets a flag, the loop saves at its next step boundary and
exits cleanly, and a new process resumes bit for bit from that step."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
import torch

import ckptlint.runtime as rt
from ckptlint.runtime.preemption import SignalWatch
from rt_procs import finish, kill_group, start_script

DEADLINE = 90


def test_a_signal_only_sets_the_flag_and_handlers_come_back(tmp_path) -> None:
    before = signal.getsignal(signal.SIGUSR1)
    mgr = rt.CheckpointManager(tmp_path)
    with mgr.save_on_signal(signals=(signal.SIGUSR1,)) as watch:
        assert not mgr.preempted
        os.kill(os.getpid(), signal.SIGUSR1)  # the process survives: no default action
        assert watch.received == signal.SIGUSR1 and mgr.preempted
        assert os.listdir(tmp_path) == []  # nothing saved inside the handler
    assert signal.getsignal(signal.SIGUSR1) is before
    assert mgr.preempted  # stays set


def test_a_previous_python_handler_is_still_called() -> None:
    seen = []
    previous = signal.signal(signal.SIGUSR2, lambda signum, frame: seen.append(signum))
    try:
        with SignalWatch((signal.SIGUSR2,)) as watch:
            os.kill(os.getpid(), signal.SIGUSR2)
            assert watch.requested and seen == [signal.SIGUSR2]
    finally:
        signal.signal(signal.SIGUSR2, previous)


def test_only_the_main_thread_can_watch() -> None:
    errors = []
    thread = threading.Thread(target=lambda: errors.append(pytest.raises(ValueError, SignalWatch)))
    thread.start()
    thread.join()
    assert "main thread" in str(errors[0].value)


def test_a_save_after_preemption_is_synchronous_and_mid_epoch(tmp_path) -> None:
    model = torch.nn.Linear(4, 4)
    with rt.CheckpointManager(tmp_path, asynchronous=True) as mgr:
        assert isinstance(mgr.save(model=model, epoch=0), rt.AsyncSave)
        with mgr.save_on_signal(signals=(signal.SIGUSR1,)):
            os.kill(os.getpid(), signal.SIGUSR1)
            assert mgr.preempted
            path = mgr.save(model=model, epoch=1, step=17, epoch_complete=False)
    assert path == str(tmp_path / "epoch=000001-step=000000017.pt")
    info = rt.CheckpointManager(tmp_path).resume(model=model)
    assert (info.epoch, info.step, info.epoch_complete, info.next_epoch) == (1, 17, False, 1)


@pytest.mark.slow
def test_sigterm_mid_epoch_saves_at_the_next_step_and_resumes_bit_for_bit(tmp_path) -> None:
    straight = start_script("preempt_job.py", str(tmp_path / "straight"), str(tmp_path / "straight.pt"))
    ready = tmp_path / "ready"
    stopped = start_script("preempt_job.py", str(tmp_path / "run"), str(tmp_path / "unused.pt"),
                           "--pause-after", "17", "--ready", str(ready))
    try:
        end = time.monotonic() + DEADLINE
        while not ready.exists():  # step 17: the 5th of epoch 1's 12 batches
            if stopped.poll() is not None or time.monotonic() > end:
                pytest.fail(f"the job never reached step 17:\n{stopped.stdout.read()}")
            time.sleep(0.02)
        stopped.send_signal(signal.SIGTERM)
        rc, out = finish(stopped, DEADLINE)
        assert rc == 0 and "PREEMPTED step=17" in out, out
        rc, out = finish(straight, DEADLINE)
        assert rc == 0, out
    finally:
        kill_group(stopped)
        kill_group(straight)
    saved = torch.load(tmp_path / "run" / "latest.pt", weights_only=True)
    assert (saved["file"], saved["epoch"], saved["step"]) == ("epoch=000001-step=000000017.pt", 1, 17)
    resumed = start_script("preempt_job.py", str(tmp_path / "run"), str(tmp_path / "resumed.pt"),
                           "--resume")
    rc, out = finish(resumed, DEADLINE)
    assert rc == 0 and "RESUMED epoch=1 step=17 skipping=5" in out, out
    a = torch.load(tmp_path / "straight.pt", weights_only=True)
    b = torch.load(tmp_path / "resumed.pt", weights_only=True)
    assert len(a["losses"]) == 36 and a["losses"] == b["losses"]
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])
    assert all(torch.equal(a["optimizer"]["state"][i]["momentum_buffer"],
                           b["optimizer"]["state"][i]["momentum_buffer"]) for i in a["optimizer"]["state"])
    assert a["lr"] == b["lr"]
