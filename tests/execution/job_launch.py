"""Running a fixture job in fresh processes, under a hard deadline.

A run starts each process of the job (one, or one per rank, torchrun-style)
from a fork server that has imported torch (and the parts of it torch imports
lazily) and nothing else: starting a process costs milliseconds instead of
the seconds an interpreter takes to import torch, and the job still starts
with nothing of another run's state. What a new interpreter would have fresh
is made fresh: Python's `random` reseeds itself at fork, numpy's global RNG
and torch's default generator are reseeded from the OS here (a new
interpreter seeds both from the OS: an unseeded job differs from one process
to the next), and processes the job starts use the platform's start method.

Every process runs in its own session. On the deadline, or when one rank
fails, the whole group of every process is killed (DataLoader workers and
forked ranks with it). gloo's teardown on the CPU can hang: the job's
`destroy_process_group()` is skipped (the process exits when the job returns),
and a rank still alive a few seconds after a peer exited cleanly is killed
and counted as finished.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

TEARDOWN_GRACE = 3.0  # seconds a rank may take to exit after a peer has exited
# `epoch E step S loss L`: what every fixture job prints (rank 0 only) after a step.
LOSS_LINE = re.compile(r"^epoch (\d+) step (\d+) loss (\S+)$", re.M)
EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception|Interrupt): .*$", re.M)

_CONTEXT = multiprocessing.get_context("forkserver")
# What the jobs use that torch imports lazily (the first optimizer step imports
# `torch._dynamo`: 2 s) is imported once, in the server.
_CONTEXT.set_forkserver_preload(
    ["torch", "torch._dynamo", "torch.distributed", "torch.distributed.fsdp", "torch.multiprocessing", "numpy", "job_launch"]
)


@dataclass
class Run:
    """One run of a job: its processes' exit codes and outputs, and rank 0's losses."""

    codes: List[Optional[int]]  # None: killed at the deadline
    outputs: List[str]
    seconds: float
    timed_out: bool = False
    lingered: List[int] = field(default_factory=list)  # ranks killed in teardown, after a peer finished
    losses: List[Tuple[int, int, str]] = field(default_factory=list)  # (epoch, step, loss as printed)

    @property
    def ok(self) -> bool:
        return not self.timed_out and all(code == 0 for code in self.codes)

    def error(self) -> str:
        """The exception the first failing process died of, or the deadline."""
        if self.timed_out:
            return f"killed after {self.seconds:.0f} s (deadline)"
        for code, output in zip(self.codes, self.outputs):
            if code != 0:
                raised = EXCEPTION_LINE.findall(output)
                lines = [line for line in output.splitlines() if line.strip()]
                return raised[-1] if raised else lines[-1] if lines else f"exit code {code}"
        return ""


def _child(script: str, argv: Sequence[str], cwd: str, env: Dict[str, str], log: str, deadline: float) -> None:
    """The job's process: a new session, the job's environment, output to ``log``
    (with every thread's stack shortly before the deadline, if it is still running)."""
    os.setsid()
    descriptor = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(descriptor, 1)
    os.dup2(descriptor, 2)
    import faulthandler

    faulthandler.dump_traceback_later(max(1.0, deadline - 2.0))
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    import numpy
    import torch

    numpy.random.seed()  # a new interpreter seeds numpy's global RNG from the OS,
    torch.seed()  # and torch's default generator too (since torch 2.x, not a fixed seed),
    multiprocessing.set_start_method(None, force=True)  # and starts processes the platform's way
    torch.distributed.destroy_process_group = _leave_process_group  # type: ignore[assignment]
    import runpy

    sys.argv = [script, *argv]
    sys.path[0] = os.path.dirname(script)
    runpy.run_path(script, run_name="__main__")
    sys.stdout.flush()
    sys.stderr.flush()


def _leave_process_group(group: object = None) -> None:
    """Stands in for `destroy_process_group`: with gloo on the CPU, freeing a DDP model
    after its group was destroyed hangs now and then (1 run in 25 here); the process
    exits without tearing anything down when the job returns."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def job_env(extra: Dict[str, str]) -> Dict[str, str]:
    """The environment of a job: this checkout's ckptlint importable (a fix may add
    the runtime), one thread per process (2 cores, shared), nothing that changes
    what `torch.load` accepts."""
    env = {key: value for key, value in os.environ.items() if key != "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    env["OMP_NUM_THREADS"] = "1"
    env.update(extra)
    return env


def run_job(script: Path, argv: Sequence[str], cwd: Path, env: Dict[str, str], world: int, deadline: float) -> Run:
    """Run ``script`` with ``world`` processes (torchrun's environment when more
    than one), wait for all of them, and read rank 0's losses."""
    started = time.monotonic()
    port = str(free_port())
    processes, logs = [], []
    for rank in range(world):
        rank_env = dict(env)
        if world > 1:
            rank_env.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world),
                            MASTER_ADDR="127.0.0.1", MASTER_PORT=port)
        log = cwd / f"rank{rank}.log"
        process = _CONTEXT.Process(target=_child, args=(str(script), list(argv), str(cwd), rank_env, str(log), deadline))
        process.start()
        processes.append(process)
        logs.append(log)
    timed_out, lingered = _wait(processes, started + deadline)
    outputs = [log.read_text(errors="replace") if log.exists() else "" for log in logs]
    codes = [0 if rank in lingered else p.exitcode for rank, p in enumerate(processes)]
    run = Run(codes, outputs, time.monotonic() - started, timed_out, lingered=lingered)
    run.losses = [(int(e), int(s), loss) for e, s, loss in LOSS_LINE.findall(outputs[0])]
    return run


def _wait(processes: List["multiprocessing.process.BaseProcess"], end: float) -> Tuple[bool, List[int]]:
    """Wait for every process: kill every group when one fails or at ``end`` (timed
    out), and the ranks still alive `TEARDOWN_GRACE` seconds after one finished
    (gloo's teardown can hang once a peer has gone: RUNTIME.md, section 1.5)."""
    finished_at: Optional[float] = None
    while any(p.is_alive() for p in processes):
        now = time.monotonic()
        failed = any(p.exitcode not in (None, 0) for p in processes)
        if finished_at is None and any(p.exitcode == 0 for p in processes):
            finished_at = now
        lingering = finished_at is not None and now - finished_at > TEARDOWN_GRACE
        if failed or now > end or lingering:
            alive = [rank for rank, p in enumerate(processes) if p.is_alive()]
            for process in processes:
                _kill_group(process.pid)
            for process in processes:
                process.join(5)
            if failed or not lingering:
                return not failed, []
            return False, alive
        time.sleep(0.02)
    return False, []


def _kill_group(pid: Optional[int]) -> None:
    if pid is None:
        return
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
