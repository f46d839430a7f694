"""Processes for the fault-injection tests (test_rt_faults.py): writers, readers, a full disk.

usage: fault_jobs.py MODE DIR [ARGS...]
  stall   DIR SIGNAL GO   CheckpointManager(DIR) saves epoch 0, then epoch 1 with torch.save
                          stopped half-way (SIGNAL is created) until GO exists; prints the
                          outcome of that save as JSON
  trainer DIR N OUT       CheckpointManager(DIR).save N times; OUT gets {"saves", "failures"}
  reader  DIR STOP OUT    CheckpointManager(DIR) + latest() in a loop until STOP exists;
                          OUT gets {"loops", "errors", "found"}
  hold    DIR SIGNAL GO   saves epoch 0 (weights 1.0), creates SIGNAL, waits for GO, saves
                          epoch 1; prints the outcome as JSON
  fsize   DIR             saves a small checkpoint, sets RLIMIT_FSIZE just above its size,
                          then saves a 4 MiB one; prints the outcome as JSON

Every wait has a deadline, so a job never outlives its test.
"""

from __future__ import annotations

import io
import json
import os
import resource
import signal
import sys
import time
import warnings

import torch

import ckptlint.runtime as rt

DEADLINE = 60


def _wait_for(path: str) -> None:
    end = time.monotonic() + DEADLINE
    while not os.path.exists(path):
        if time.monotonic() > end:
            sys.exit(f"{path} never appeared")
        time.sleep(0.02)


def _model(value: float, width: int = 256) -> torch.nn.Module:
    model = torch.nn.Linear(width, width)
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(value)
    return model


def _outcome(fn) -> dict:
    try:
        return {"ok": True, "result": str(fn())}
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__, "message": str(exc),
                "errno": getattr(exc, "errno", None)}


def stall(directory: str, signal_file: str, go: str) -> None:
    mgr = rt.CheckpointManager(directory)
    mgr.save(model=_model(0.0), epoch=0)
    real_save = torch.save

    def paused_save(obj, f, **kwargs):
        buffer = io.BytesIO()
        real_save(obj, buffer, **kwargs)
        data = buffer.getvalue()
        f.write(data[: len(data) // 2])
        f.flush()
        open(signal_file, "w").close()
        _wait_for(go)
        f.write(data[len(data) // 2:])

    torch.save = paused_save
    print(json.dumps(_outcome(lambda: mgr.save(model=_model(1.0), epoch=1))))


def trainer(directory: str, count: str, out: str, reading: str = "") -> None:
    mgr = rt.CheckpointManager(directory, keep_last=2)
    model = _model(0.0, width=512)
    failures = []
    if reading:  # saves start once the reader's loop runs (its torch import takes seconds on a busy machine)
        _wait_for(reading)
    for epoch in range(int(count)):
        with torch.no_grad():
            model.weight.fill_(float(epoch))
        outcome = _outcome(lambda: mgr.save(model=model, epoch=epoch))
        if not outcome["ok"]:
            failures.append(outcome)
    with open(out, "w") as fh:
        json.dump({"saves": int(count), "failures": failures}, fh)


def reader(directory: str, stop: str, out: str, reading: str = "") -> None:
    loops, errors, found = 0, [], set()
    end = time.monotonic() + DEADLINE
    warnings.simplefilter("ignore")  # a file pruned while being read is skipped with a warning
    while not os.path.exists(stop) and time.monotonic() < end:
        outcome = _outcome(lambda: rt.CheckpointManager(directory).latest(verify=False))
        loops += 1
        if reading and loops == 1:
            open(reading, "w").close()
        if outcome["ok"]:
            found.add(os.path.basename(outcome["result"]))
        else:
            errors.append(outcome)
    with open(out, "w") as fh:
        json.dump({"loops": loops, "errors": errors, "found": sorted(found)}, fh)


def hold(directory: str, signal_file: str, go: str) -> None:
    mgr = rt.CheckpointManager(directory)
    mgr.save(model=_model(1.0), epoch=0)
    open(signal_file, "w").close()
    _wait_for(go)
    print(json.dumps(_outcome(lambda: mgr.save(model=_model(1.0), epoch=1))))


def fsize(directory: str) -> None:
    path = os.path.join(directory, "ckpt.pt")
    rt.save_checkpoint(path, model=_model(1.0, width=8), epoch=0)
    limit = os.path.getsize(path) + 64 * 1024
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # else the kernel kills us at the limit
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
    print(json.dumps(_outcome(lambda: rt.save_checkpoint(path, model=_model(2.0, width=1024),
                                                         epoch=1))))


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    {"stall": stall, "trainer": trainer, "reader": reader, "hold": hold, "fsize": fsize}[mode](*args)
