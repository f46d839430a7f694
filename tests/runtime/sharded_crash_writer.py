"""A sharded writer SIGKILLed after its shards are written, before DCP writes ``.metadata``.

usage: sharded_crash_writer.py DIR SIGNAL_FILE

Saves epoch 0 with ``CheckpointManager(DIR, sharded=True)`` (complete), then
starts epoch 1 with DCP's ``finish`` (the step that writes ``.metadata``)
replaced by: create SIGNAL_FILE, then sleep. The parent waits for the file
and kills this process, so the kill lands at a known point rather than
after a guessed delay.
"""

from __future__ import annotations

import pathlib
import sys
import time

import torch
from torch.distributed.checkpoint import FileSystemWriter

import ckptlint.runtime as rt


def hang_before_metadata(signal_file: str):
    def finish(self, metadata, results):
        pathlib.Path(signal_file).touch()
        time.sleep(120)
    return finish


def main(directory: str, signal_file: str) -> None:
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 3)
    mgr = rt.CheckpointManager(directory, sharded=True)
    mgr.save(model=model, epoch=0)
    FileSystemWriter.finish = hang_before_metadata(signal_file)
    mgr.save(model=model, epoch=1)
    raise SystemExit("not killed")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
