"""Two fixes that used to break distributed jobs, run as 2-process gloo jobs (#18, cases 8 and 9).

Each job is fixed with the real command line (`ckptlint check --fix
--unsafe-fixes`) and run with two ranks under a hard deadline. Before #18's
preconditions, CKPT302 put a barrier in a block only the writing rank reaches
(rank 0 then waits in a barrier rank 1 never enters: the job hangs until it is
killed), and CKPT301 guarded a save whose file name holds the rank two
assignments away (rank 1's shard is never written). After them, neither fix
is offered and both jobs finish with every rank's work done.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from job_launch import job_env, run_job

pytestmark = pytest.mark.slow

DEADLINE = 30.0

# `should_save` is true on rank 0 only, but the model cannot know it: a barrier that
# CKPT302 adds after the guarded save in `_save` is reached by rank 0 alone.
ONLY_THE_WRITER_REACHES = '''
import os

import torch
import torch.distributed as dist
import torch.nn as nn


class Trainer:
    def __init__(self, model, should_save):
        self.model = model
        self.should_save = should_save

    def _save(self, path):
        if dist.get_rank() == 0:
            torch.save({"model": self.model.state_dict()}, path)

    def checkpoint(self, path):
        if self.should_save:
            self._save(path)
            self.model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True)["model"])
        dist.barrier()


def main():
    dist.init_process_group("gloo")
    trainer = Trainer(nn.Linear(2, 2), should_save=dist.get_rank() == 0)
    trainer.checkpoint(os.path.join(os.environ["CKPT_DIR"], "last.pt"))
    dist.barrier()
    print("done", dist.get_rank(), flush=True)


if __name__ == "__main__":
    main()
'''

# Each rank writes its own shard; the rank is two assignments away from the save.
PER_RANK_SHARDS = '''
import os

import torch
import torch.distributed as dist


def main():
    dist.init_process_group("gloo")
    shard = {"weights": torch.ones(2)}  # this rank's part of the state
    rank = dist.get_rank()
    name = f"shard_rank{rank}.pt"
    path = os.path.join(os.environ["CKPT_DIR"], name)
    torch.save(shard, path)
    dist.barrier()
    print("done", rank, flush=True)


if __name__ == "__main__":
    main()
'''


def _fixed_job(source: str, folder: Path) -> Path:
    """``source`` as a script in ``folder``, fixed by `ckptlint check --fix --unsafe-fixes`."""
    folder.mkdir(parents=True)
    script = folder / "job.py"
    script.write_text(textwrap.dedent(source).lstrip())
    command = [sys.executable, "-m", "ckptlint", "check", "--isolated", "--no-cache", "--fix", "--unsafe-fixes", str(script)]
    done = subprocess.run(command, env=job_env({}), cwd=folder, capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return script


def test_case_8_a_barrier_only_the_writing_rank_reaches_is_never_added(tmp_path: Path) -> None:
    script = _fixed_job(ONLY_THE_WRITER_REACHES, tmp_path / "job")
    run = run_job(script, [], tmp_path, job_env({"CKPT_DIR": str(tmp_path)}), 2, DEADLINE)
    # (a rank stuck in a barrier its peer never enters is killed when the peer has exited)
    for rank, output in enumerate(run.outputs):
        assert f"done {rank}" in output, f"rank {rank} never finished: {run.error() or output[-300:]}"
    assert not run.timed_out
    assert "ckptlint.runtime.barrier" not in script.read_text()


def test_case_9_a_per_rank_shard_keeps_every_rank_writing(tmp_path: Path) -> None:
    script = _fixed_job(PER_RANK_SHARDS, tmp_path / "job")
    run = run_job(script, [], tmp_path, job_env({"CKPT_DIR": str(tmp_path)}), 2, DEADLINE)
    assert not run.timed_out and all(f"done {rank}" in out for rank, out in enumerate(run.outputs)), run.error()
    assert sorted(path.name for path in tmp_path.glob("shard_rank*.pt")) == ["shard_rank0.pt", "shard_rank1.pt"]
