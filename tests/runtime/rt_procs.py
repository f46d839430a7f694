"""Process helpers for the ckptlint.runtime tests (a uniquely named module,
so that it never clashes with another conftest).

Subprocess helpers put the repository root (computed from this file) first on
PYTHONPATH, so the scripts import this checkout's ckptlint whether or not the
package is also pip-installed. ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` is removed
everywhere: with it set, a default ``torch.load`` accepts pickles that
``weights_only=True`` refuses, and the weights_only assertions would prove
nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]


def subprocess_env(extra: Optional[dict[str, str]] = None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", None)
    parts = [str(REPO_ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(parts)
    env.setdefault("OMP_NUM_THREADS", "1")
    env.update(extra or {})
    return env


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the process and everything it started (it runs in its own session)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(timeout=30)


def start_script(script: str, *args: str, env: Optional[dict[str, str]] = None) -> subprocess.Popen:
    """Start ``python tests/runtime/<script> args...`` in a new session (killable as a group)."""
    return subprocess.Popen([sys.executable, str(HERE / script), *args], env=subprocess_env(env),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def finish(proc: subprocess.Popen, timeout: float) -> tuple[int, str]:
    """Wait with a hard deadline; on timeout kill the process group and fail."""
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        out, _ = proc.communicate()
        pytest.fail(f"{proc.args} did not finish within {timeout}s; killed. Output:\n{out}")
    return proc.returncode, out


def dead_pid() -> int:
    """The pid of a process that has exited (what a crashed writer's temporary file names)."""
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, timeout=60)
    return int(proc.stdout)


def temp_name(target: str, pid: int, host: Optional[str] = None, token: str = "a1b2c3d4") -> str:
    """A temporary file name as atomic_save makes it: ``.<target>.<pid>@<host>.<token>.tmp``."""
    from ckptlint.runtime.tempfiles import this_host
    return f".{target}.{pid}@{host or this_host()}.{token}.tmp"


def listing(names) -> list[str]:
    """A directory listing without the manager's lock file (``.ckptlint.lock``)."""
    from ckptlint.runtime.format import LOCK_NAME
    return sorted(n for n in names if n != LOCK_NAME)


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch_ranks(script: str, args: list[str], out: Path, world: int = 2,
                 deadline: float = 45) -> list[dict]:
    """Run ``script`` as ``world`` torchrun-style ranks; return each rank's ``out/rank<r>.json``.

    Every rank runs in its own session under a hard deadline: if a rank
    fails or the deadline passes, all are killed and the test fails with
    their output. Ranks still alive 10 s after writing their results are
    killed too (gloo teardown can hang, RUNTIME.md section 1.5).
    """
    import json
    import time
    port = str(_free_port())
    procs = [start_script(script, *args, env={
        "RANK": str(r), "LOCAL_RANK": str(r), "WORLD_SIZE": str(world),
        "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": port}) for r in range(world)]
    files = [out / f"rank{r}.json" for r in range(world)]
    end = time.monotonic() + deadline
    try:
        while not all(f.exists() for f in files):
            if any(p.poll() not in (None, 0) for p in procs) or time.monotonic() > end:
                for p in procs:
                    kill_group(p)
                logs = "\n".join(f"--- rank {r} ---\n{p.stdout.read()}" for r, p in enumerate(procs))
                pytest.fail(f"{script} {args}: ranks failed or hung (deadline {deadline}s)\n{logs}")
            time.sleep(0.1)
        grace = time.monotonic() + 10
        while any(p.poll() is None for p in procs) and time.monotonic() < grace:
            time.sleep(0.1)
    finally:
        for p in procs:
            kill_group(p)
    return [json.loads(f.read_text()) for f in files]
