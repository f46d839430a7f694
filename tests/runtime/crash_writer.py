"""Writes v1, then starts writing v2 and stops half-way so the parent can SIGKILL it.

usage: crash_writer.py MODE DIR SIGNAL_FILE
  atomic   v1 and v2 through atomic_save to DIR/ckpt.pt
  plain    v1 and v2 through plain torch.save to DIR/ckpt.pt (negative control)
  manager  epoch 0 and epoch 1 through CheckpointManager(DIR).save
  async    epoch 0 through save_checkpoint to DIR/ckpt.pt, then epoch 1 with
           save_checkpoint(asynchronous=True): the background thread is killed
           half-way while the main thread goes on "training"

torch.save is replaced, before v2, by a version that writes half the bytes,
fsyncs them, creates SIGNAL_FILE and sleeps: the kill lands at a known point
in the middle of the write, not after a guessed delay.
"""

from __future__ import annotations

import io
import os
import sys
import time

import torch

import ckptlint.runtime as rt

_real_save = torch.save


def _half_save(obj, f, **kwargs):
    buf = io.BytesIO()
    _real_save(obj, buf, **kwargs)
    data = buf.getvalue()
    fh = open(f, "wb") if isinstance(f, (str, os.PathLike)) else f
    fh.write(data[: len(data) // 2])
    fh.flush()
    os.fsync(fh.fileno())
    with open(SIGNAL, "w") as sig:
        sig.write("half written\n")
    time.sleep(120)


def payload(version: int) -> dict:
    return {"version": version, "w": torch.full((4096,), float(version))}


def _filled(value: float) -> torch.nn.Module:
    model = torch.nn.Linear(64, 64)
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(value)
    return model


def asynchronous(path: str) -> None:
    rt.save_checkpoint(path, model=_filled(1.0), epoch=0)
    torch.save = _half_save
    rt.save_checkpoint(path, model=_filled(2.0), epoch=1, asynchronous=True)
    time.sleep(120)  # the training loop goes on; the parent kills the process meanwhile


def main(mode: str, directory: str) -> None:
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "ckpt.pt")
    if mode == "async":
        return asynchronous(path)
    model = torch.nn.Linear(64, 64)
    mgr = rt.CheckpointManager(directory) if mode == "manager" else None
    if mode == "atomic":
        rt.atomic_save(payload(1), path)
    elif mode == "plain":
        torch.save(payload(1), path)
    else:
        mgr.save(model=model, epoch=0)
    torch.save = _half_save
    if mode == "atomic":
        rt.atomic_save(payload(2), path)
    elif mode == "plain":
        torch.save(payload(2), path)
    else:
        mgr.save(model=model, epoch=1)
    sys.exit("not reached: the parent kills this process")


if __name__ == "__main__":
    SIGNAL = sys.argv[3]
    main(sys.argv[1], sys.argv[2])
