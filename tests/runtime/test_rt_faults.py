"""Fault injection for the runtime (issue #22, items 6-10): every test failed before its fix.

6. constructing CheckpointManager(dir) deleted a running writer's temporary file;
7. two writers on one directory overwrote each other silently;
8. a full disk raised torch's "unexpected pos" naming no path;
9. zeroed bytes inside a tensor loaded silently;
10. a legacy file was "not a complete torch zip archive", a killed save's temporary file
    was never removed by the next save, and make_generator's docstring said the fixes
    pass a name.

Processes run under hard deadlines (rt_procs.finish kills the process group).
"""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import struct
import time
import zipfile

import pytest
import torch

import ckptlint.runtime as rt
from ckptlint.runtime import seeding
from rt_procs import finish, kill_group, start_script

DEADLINE = 60


def _wait_for(path, proc) -> None:
    end = time.monotonic() + DEADLINE
    while not os.path.exists(path):
        if proc.poll() is not None or time.monotonic() > end:
            kill_group(proc)
            pytest.fail(f"{proc.args} never created {path}:\n{proc.stdout.read()}")
        time.sleep(0.02)


def _last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def _tmp_files(directory) -> list[str]:
    return sorted(n for n in os.listdir(directory) if n.endswith(".tmp"))


# -- 6. a reader never deletes a writer's temporary file --------------------------------
@pytest.mark.slow
def test_constructing_a_manager_keeps_a_running_writers_temporary_file(tmp_path) -> None:
    ckpt, signal_file, go = tmp_path / "ckpt", tmp_path / "half", tmp_path / "go"
    proc = start_script("fault_jobs.py", "stall", str(ckpt), str(signal_file), str(go))
    try:
        _wait_for(signal_file, proc)
        assert len(_tmp_files(ckpt)) == 1  # the writer's save in progress
        rt.CheckpointManager(ckpt).latest()  # an evaluation job looking for the newest
        assert len(_tmp_files(ckpt)) == 1
        go.touch()
        rc, out = finish(proc, DEADLINE)
    finally:
        kill_group(proc)
    assert rc == 0, out
    assert _last_json(out) == {"ok": True, "result": str(ckpt / "epoch=000001.pt")}
    assert rt.CheckpointManager(ckpt).latest() == str(ckpt / "epoch=000001.pt")


@pytest.mark.slow
def test_reader_constructing_managers_in_a_loop_while_a_trainer_saves(tmp_path) -> None:
    ckpt, stop = tmp_path / "ckpt", tmp_path / "stop"
    reading = str(tmp_path / "reading")  # the reader's loop runs: the trainer's saves may start
    trainer = start_script("fault_jobs.py", "trainer", str(ckpt), "40", str(tmp_path / "t.json"), reading)
    reader = start_script("fault_jobs.py", "reader", str(ckpt), str(stop), str(tmp_path / "r.json"), reading)
    try:
        rc, out = finish(trainer, 2 * DEADLINE)
        stop.touch()
        rc_reader, out_reader = finish(reader, DEADLINE)
    finally:
        kill_group(trainer)
        kill_group(reader)
    assert rc == 0 and rc_reader == 0, out + out_reader
    trained = json.loads((tmp_path / "t.json").read_text())
    read = json.loads((tmp_path / "r.json").read_text())
    print(f"trainer: {trained['saves']} saves, {len(trained['failures'])} failed; reader: "
          f"{read['loops']} managers constructed, {len(read['errors'])} errors")
    assert trained["failures"] == []
    assert read["errors"] == [] and read["loops"] > 10
    assert _tmp_files(ckpt) == []


# -- 7. one writer per directory -----------------------------------------------------------
@pytest.mark.slow
def test_a_second_writer_fails_fast_naming_the_first(tmp_path) -> None:
    ckpt, signal_file, go = tmp_path / "ckpt", tmp_path / "saved", tmp_path / "go"
    first = start_script("fault_jobs.py", "hold", str(ckpt), str(signal_file), str(go))
    try:
        _wait_for(signal_file, first)
        before = (ckpt / "epoch=000000.pt").read_bytes(), (ckpt / "latest.pt").read_bytes()
        second = rt.CheckpointManager(ckpt)
        start = time.monotonic()
        with pytest.raises(rt.CheckpointLockedError, match=rf"pid {first.pid} on host .*fault_jobs"):
            second.save(model=torch.nn.Linear(256, 256), epoch=0)
        assert time.monotonic() - start < 5  # fails fast: no waiting for the lock
        assert ((ckpt / "epoch=000000.pt").read_bytes(), (ckpt / "latest.pt").read_bytes()) == before
        assert second.latest() == str(ckpt / "epoch=000000.pt")  # reading needs no lock
        go.touch()
        rc, out = finish(first, DEADLINE)
    finally:
        kill_group(first)
    assert rc == 0 and _last_json(out)["ok"], out
    second.save(model=torch.nn.Linear(256, 256), epoch=2)  # the first run is gone: free again
    assert second.latest() == str(ckpt / "epoch=000002.pt")


# -- 8. a full disk says so ------------------------------------------------------------------
@pytest.mark.slow
def test_full_disk_names_the_path_and_the_space_needed(tmp_path, run_script) -> None:
    rc, out = run_script("fault_jobs.py", "fsize", str(tmp_path), timeout=DEADLINE)
    assert rc == 0, out
    outcome = _last_json(out)
    assert outcome["error"] == "CheckpointSpaceError" and outcome["errno"] == errno.EFBIG
    message = outcome["message"]
    assert str(tmp_path / "ckpt.pt") in message and "file size limit" in message
    assert re.search(r"needs about 4\.\d MiB", message), message
    info = rt.load_checkpoint(tmp_path / "ckpt.pt", model=torch.nn.Linear(8, 8))
    assert info.epoch == 0  # the previous checkpoint is intact
    assert _tmp_files(tmp_path) == []


class _DiskWithRoom:
    """The file os.fdopen returns, on a disk with ``room`` bytes left (then ENOSPC)."""

    def __init__(self, file, room: int) -> None:
        self._file, self._room = file, room

    def write(self, data) -> int:
        if len(data) > self._room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._room -= len(data)
        return self._file.write(data)

    def __getattr__(self, name):
        return getattr(self._file, name)


def test_enospc_becomes_a_space_error_not_unexpected_pos(tmp_path, monkeypatch) -> None:
    """torch turns the failed write into "unexpected pos"; the recorded cause wins."""
    path = tmp_path / "c.pt"
    rt.save_checkpoint(path, model=torch.nn.Linear(4, 4), epoch=0)
    real_fdopen = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda *a, **k: _DiskWithRoom(real_fdopen(*a, **k), 4096))
    with pytest.raises(rt.CheckpointSpaceError, match=r"no space left .* needs about 2\d\d\.\d KiB") as caught:
        rt.save_checkpoint(path, model=torch.nn.Linear(256, 256), epoch=1)
    monkeypatch.undo()
    assert caught.value.errno == errno.ENOSPC and str(path) in str(caught.value)
    assert isinstance(caught.value, OSError) and "unexpected pos" not in str(caught.value)
    assert rt.load_checkpoint(path, model=torch.nn.Linear(4, 4)).epoch == 0
    assert _tmp_files(tmp_path) == []


# -- 9. corruption inside tensor data -------------------------------------------------------
def _zero_block_in_largest_tensor(path, count: int = 64) -> str:
    """Zero ``count`` bytes in the middle of the largest storage record; return its member name."""
    with zipfile.ZipFile(path) as archive:
        info = max((i for i in archive.infolist() if "/data/" in i.filename), key=lambda i: i.file_size)
    with open(path, "r+b") as fh:
        fh.seek(info.header_offset + 26)
        name_len, extra_len = struct.unpack("<HH", fh.read(4))
        fh.seek(info.header_offset + 30 + name_len + extra_len + info.file_size // 2)
        fh.write(b"\0" * count)
    return info.filename


def test_a_zeroed_block_in_a_tensor_is_detected_naming_the_key(tmp_path) -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 512), torch.nn.Linear(512, 4))
    mgr = rt.CheckpointManager(tmp_path)
    mgr.save(model=model, epoch=0)
    mgr.save(model=model, epoch=1)
    _zero_block_in_largest_tensor(tmp_path / "epoch=000001.pt")
    torch.load(tmp_path / "epoch=000001.pt", weights_only=True)  # torch itself loads it
    with pytest.raises(rt.CheckpointCorruptError, match=r"epoch=000001\.pt is corrupt: the data of "
                                                        r"model\['0\.weight'\] changed"):
        rt.load_checkpoint(tmp_path / "epoch=000001.pt", model=model)
    with pytest.warns(RuntimeWarning, match=r"epoch=000001.*model\['0\.weight'\]"):
        assert mgr.latest() == str(tmp_path / "epoch=000000.pt")
    with pytest.warns(RuntimeWarning, match=r"model\['0\.weight'\]"):
        assert mgr.resume(model=model).epoch == 0
    assert rt.load_checkpoint(tmp_path / "epoch=000001.pt", model=model, verify=False).epoch == 1


# -- 10. legacy files, orphaned temporaries, make_generator's docstring ------------------------
def test_a_legacy_file_gets_its_own_message(tmp_path) -> None:
    path = tmp_path / "old.pt"
    torch.save({"model": torch.nn.Linear(2, 2).state_dict()}, path, _use_new_zipfile_serialization=False)
    with pytest.raises(rt.CheckpointFormatError, match="legacy \\(non-zip\\) torch.save file") as caught:
        rt.load_checkpoint(path, model=torch.nn.Linear(2, 2))
    assert "not a complete" not in str(caught.value) and "ckptlint migrate" in str(caught.value)


@pytest.mark.slow
@pytest.mark.parametrize("next_write", ["atomic_save", "save_checkpoint"])
def test_the_next_write_removes_a_killed_saves_temporary_file(tmp_path, next_write) -> None:
    directory, signal_file = tmp_path / "ckpts", tmp_path / "half"
    proc = start_script("crash_writer.py", "atomic", str(directory), str(signal_file))
    try:
        _wait_for(signal_file, proc)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        kill_group(proc)
    assert len(_tmp_files(directory)) == 1  # what SIGKILL leaves
    if next_write == "atomic_save":
        rt.atomic_save({"v": 3}, directory / "other.pt")
    else:
        rt.save_checkpoint(directory / "other.pt", model=torch.nn.Linear(2, 2), epoch=0)
    assert _tmp_files(directory) == []


def test_make_generator_docstring_says_what_the_fixes_pass() -> None:
    from ckptlint.rules.reproducibility.ckpt401_unseeded_dataloader_workers import (
        UnseededDataloaderWorkers)
    fixed = [example.fixed for example in UnseededDataloaderWorkers.INVALID if example.fixed]
    calls = [call for text in fixed for call in re.findall(r"make_generator\([^)]*\)", text)]
    assert calls, "CKPT401's examples no longer show its fix"
    fixes_pass_a_name = any("name=" in call for call in calls)
    doc = " ".join(seeding.__doc__.split())
    assert ("pass no name" in doc) == (not fixes_pass_a_name), doc
    assert "fixes use the loader's name" not in doc or fixes_pass_a_name
