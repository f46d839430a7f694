"""Does a job resume bit for bit? Run it straight, then stopped after a checkpoint
and resumed in a fresh process, and compare the losses and the final weights.

`JOBS` says how each bad fixture runs (processes, arguments, where it stops,
where its final weights are); `check` runs the three runs and returns the
verdict: bit-exact, or the first differing step, or the error a run died of.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from job_launch import Run, free_port, job_env, run_job

DEADLINE = 60.0  # seconds per run (a run takes one or two)


@dataclass(frozen=True)
class Job:
    """How a fixture runs. In arguments, ``{dir}`` is the run's checkpoint folder and
    ``{port}`` a free port."""

    name: str
    stop: Tuple[str, int]  # ("STOP_AFTER_EPOCH", 1): the variable that stops it, and its value
    final: str  # the file (under {dir}) that holds the final weights
    final_key: Optional[str] = "model"  # where the weights are in it (None: the saved object itself)
    world: int = 1
    argv: Tuple[str, ...] = ()
    resume_argv: Tuple[str, ...] = ()  # extra arguments of the resumed run
    env: Tuple[Tuple[str, str], ...] = ()


@dataclass
class Verdict:
    bit_exact: bool
    reason: str  # the first difference, or the error a run died of ("" when bit-exact)
    runs: Dict[str, Run] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return sum(run.seconds for run in self.runs.values())


def check(job: Job, script: Path, workdir: Path) -> Verdict:
    """Run ``script`` straight, then stopped and resumed; compare."""
    straight = _run(job, script, workdir / "straight", stop=False, resumed=False)
    stopped = _run(job, script, workdir / "resumed", stop=True, resumed=False)
    runs = {"straight": straight, "stopped": stopped}
    for label, run in runs.items():
        if not run.ok:
            return Verdict(False, f"the {label} run failed: {run.error()}", runs)
    resumed = _run(job, script, workdir / "resumed", stop=False, resumed=True)
    runs["resumed"] = resumed
    if not resumed.ok:
        return Verdict(False, f"the resumed run failed: {resumed.error()}", runs)
    difference = first_difference(straight.losses, stopped.losses + resumed.losses)
    if difference:
        return Verdict(False, difference, runs)
    weights = [weights_digest(workdir / name / job.final, job.final_key) for name in ("straight", "resumed")]
    if weights[0] != weights[1]:
        return Verdict(False, "same losses, different final weights", runs)
    return Verdict(True, "", runs)


def _run(job: Job, script: Path, folder: Path, stop: bool, resumed: bool) -> Run:
    folder.mkdir(parents=True, exist_ok=True)
    port = str(free_port())
    argv = [arg.replace("{dir}", str(folder)).replace("{port}", port) for arg in job.argv + (job.resume_argv if resumed else ())]
    extra = dict(job.env, CKPT_DIR=str(folder), HOME=str(folder))
    if stop:
        extra[job.stop[0]] = str(job.stop[1])
    return run_job(script, argv, folder, job_env(extra), job.world, DEADLINE)


def first_difference(expected: Sequence[Tuple[int, int, str]], actual: Sequence[Tuple[int, int, str]]) -> str:
    """Where the stopped-and-resumed losses first differ from the straight run's."""
    for index, (want, got) in enumerate(zip(expected, actual)):
        if want != got:
            if want[:2] != got[:2]:
                return f"step {index}: the straight run trains epoch {want[0]} step {want[1]}, the resumed run epoch {got[0]} step {got[1]}"
            return f"epoch {want[0]} step {want[1]}: loss {got[2]} instead of {want[2]}"
    if len(expected) != len(actual):
        return f"{len(actual)} steps instead of {len(expected)}"
    return ""


def weights_digest(path: Path, key: Optional[str]) -> str:
    """A digest of every tensor of the weights in ``path`` (by name, in order); a
    folder is a `torch.distributed.checkpoint`, read whole."""
    import torch

    if path.is_dir():
        from torch.distributed.checkpoint.format_utils import dcp_to_torch_save

        dcp_to_torch_save(path, path.with_suffix(".whole.pt"))
        path = path.with_suffix(".whole.pt")
    saved = torch.load(path, map_location="cpu", weights_only=False)
    state = saved if key is None else saved[key]
    if isinstance(state, torch.nn.Module):
        state = state.state_dict()
    digest = hashlib.sha256()
    for name in sorted(state):
        tensor = state[name].detach().cpu().contiguous()
        digest.update(f"{name}:{tensor.dtype}:{tuple(tensor.shape)}".encode())
        digest.update(tensor.numpy().tobytes())
    return digest.hexdigest()


def fixed_copies(fixtures: Path, folder: Path, unsafe: bool = True) -> str:
    """Copy ``fixtures`` into ``folder`` and fix the copies with the real command
    line (`ckptlint check --fix [--unsafe-fixes]`); its output."""
    shutil.copytree(fixtures, folder)
    command = [sys.executable, "-m", "ckptlint", "check", "--isolated", "--fix", str(folder)]
    if unsafe:
        command.insert(-1, "--unsafe-fixes")
    done = subprocess.run(command, env=job_env({}), cwd=folder, capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stdout + done.stderr  # 1: findings remain
    return done.stdout


def evaluate_shared_checkpoint(script: Path, workdir: Path) -> Run:
    """Run the evaluation fixture on files "a colleague shared": weights of the
    architecture it builds and a table of embeddings, written here by `torch.save`."""
    import torch

    workdir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    colleague = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4))
    torch.save(colleague.state_dict(), workdir / "weights.pt")
    torch.save({"embeddings": torch.randn(8, 4)}, workdir / "embeddings.pt")
    argv = [str(workdir / "weights.pt"), str(workdir / "embeddings.pt")]
    return run_job(script, argv, workdir, job_env({"HOME": str(workdir)}), 1, DEADLINE)


JOBS: List[Job] = [
    Job("resume_from_checkpoint", stop=("STOP_AFTER_EPOCH", 1), final="last.pt", argv=("--ckpt", "{dir}/last.pt")),
    Job("torchrun_ddp_resume", stop=("STOP_AFTER_EPOCH", 1), final="epoch3.pt", world=2, resume_argv=("--resume", "{dir}/epoch1.pt")),
    Job("trainer_amp_cosine", stop=("STOP_AFTER_EPOCH", 1), final="last.pt"),
    Job("ddp_amp_loop", stop=("STOP_AFTER_STEP", 12), final="last.pt", world=2),
    Job(
        "dcgan", stop=("STOP_AFTER_EPOCH", 1), final="gan_epoch_3.pt", final_key="netG", argv=("--outf", "{dir}"),
        resume_argv=("--resume", "{dir}/gan_epoch_1.pt", "--start-epoch", "2"),
    ),
    Job(
        "seeded_classifier", stop=("STOP_AFTER_EPOCH", 1), final="checkpoints/ckpt_3.pt",
        resume_argv=("--resume", "{dir}/checkpoints/ckpt_1.pt"),
    ),
    Job(
        "mp_spawn_ddp", stop=("STOP_AFTER_EPOCH", 1), final="checkpoint.pth.tar", final_key="state_dict",
        argv=("--dist-url", "tcp://127.0.0.1:{port}"), resume_argv=("--resume", "{dir}/checkpoint.pth.tar"),
    ),
    Job("fsdp_train", stop=("STOP_AFTER_EPOCH", 1), final="weights", world=2),
]
