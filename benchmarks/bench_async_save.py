"""How long a training loop is blocked per save: synchronous vs asynchronous save_checkpoint.

A model of --mb MiB (default 512) is saved --saves times per run, with a
training-like gap between saves (--gap seconds of matrix products on the
main thread). For each save the benchmark records:

  blocked   how long ``save_checkpoint(...)`` kept the caller: the whole write
            for a synchronous save; RNG capture, state_dict() and the copy to
            CPU memory for an asynchronous one
  durable   from the call until the file is renamed into place and fsynced
            (asynchronous: until ``handle.done()``, polled between training steps)

Both modes run in fresh subprocesses, interleaved (--repeats times each), so
page-cache and machine drift hit both alike. The first save of a run is
reported separately from the rest (its directory, allocator and page cache
are cold). Target (issue #21): blocked time of an asynchronous save at most
15% of a synchronous save's.

    python benchmarks/bench_async_save.py [--mb 512] [--saves 3] [--repeats 3] [--gap 3] [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODES = ("sync", "async")


def child(mode: str, directory: str, mb: float, saves: int, gap: float) -> None:
    import torch

    import ckptlint.runtime as rt

    torch.set_num_threads(1)
    width = 4096
    layers = max(1, round(mb * 2**20 / 4 / (width * width + width)))
    model = torch.nn.Sequential(*[torch.nn.Linear(width, width) for _ in range(layers)])
    state_mib = sum(p.numel() * p.element_size() for p in model.state_dict().values()) / 2**20
    work = torch.randn(512, 512)
    records = []
    for index in range(saves):
        path = os.path.join(directory, f"{mode}-{os.getpid()}-{index}.pt")
        start = time.perf_counter()
        result = rt.save_checkpoint(path, model=model, epoch=index, asynchronous=(mode == "async"))
        blocked = time.perf_counter() - start
        durable = blocked if mode == "sync" else None
        end_of_gap = time.perf_counter() + gap
        while time.perf_counter() < end_of_gap:  # the training loop goes on meanwhile
            work = torch.tanh(work @ work)
            if durable is None and result.done():
                durable = time.perf_counter() - start
        if mode == "async":
            result.wait()
            durable = durable if durable is not None else time.perf_counter() - start
        records.append({"blocked": blocked, "durable": durable,
                        "file_mib": os.path.getsize(path) / 2**20})
        os.remove(path)
    print(json.dumps({"mode": mode, "state_mib": state_mib, "saves": records}))


def run_one(mode: str, directory: str, args: argparse.Namespace) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([REPO_ROOT] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", mode, "--dir", directory,
                           "--mb", str(args.mb), "--saves", str(args.saves), "--gap", str(args.gap)],
                          env=env, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError(f"{mode} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def summarise(runs: list[dict]) -> dict:
    first = [r["saves"][0] for r in runs]
    rest = [s for r in runs for s in r["saves"][1:]] or first
    return {
        "state_mib": runs[0]["state_mib"], "file_mib": rest[0]["file_mib"],
        "blocked_median": statistics.median(s["blocked"] for s in rest),
        "blocked_max": max(s["blocked"] for s in rest),
        "durable_median": statistics.median(s["durable"] for s in rest),
        "first_blocked_median": statistics.median(s["blocked"] for s in first),
        "samples": len(rest),
    }


def table(results: dict[str, dict]) -> str:
    sync_blocked = results["sync"]["blocked_median"]
    lines = [f"state {results['sync']['state_mib']:.0f} MiB, file {results['sync']['file_mib']:.0f} MiB; "
             f"medians over {results['sync']['samples']} saves per mode (first save of each run excluded)",
             f"{'mode':<7}{'blocked s':>11}{'max s':>8}{'% of sync':>11}{'durable s':>11}{'1st blocked s':>15}"]
    for mode, r in results.items():
        lines.append(f"{mode:<7}{r['blocked_median']:>11.3f}{r['blocked_max']:>8.3f}"
                     f"{100 * r['blocked_median'] / sync_blocked:>10.1f}%{r['durable_median']:>11.3f}"
                     f"{r['first_blocked_median']:>15.3f}")
    ratio = results["async"]["blocked_median"] / sync_blocked
    lines.append(f"asynchronous blocked time = {100 * ratio:.1f}% of synchronous (target <= 15%): "
                 f"{'met' if ratio <= 0.15 else 'NOT met'}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=512.0)
    parser.add_argument("--saves", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--gap", type=float, default=3.0, help="seconds of training between saves")
    parser.add_argument("--dir", default=None, help="where to write (default: a temp dir)")
    parser.add_argument("--out", default=os.path.join(REPO_ROOT, "benchmarks", "results", "async_save.json"))
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.dir, args.mb, args.saves, args.gap)
    directory = args.dir or tempfile.mkdtemp(prefix="ckptlint-bench-async-")
    try:
        runs: dict[str, list[dict]] = {m: [] for m in MODES}
        for _ in range(args.repeats):
            for mode in MODES:
                runs[mode].append(run_one(mode, directory, args))
    finally:
        if args.dir is None:
            shutil.rmtree(directory, ignore_errors=True)
    results = {m: summarise(r) for m, r in runs.items()}
    print(table(results))
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump({"mb": args.mb, "saves": args.saves, "repeats": args.repeats, "gap": args.gap,
                   "python": platform.python_version(), "platform": platform.platform(),
                   "results": results, "runs": runs}, fh, indent=2)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
