"""Overhead of ckptlint.runtime saves over a bare torch.save, for a ~100 MB state dict.

Each measurement runs in a fresh subprocess, so peak memory is not polluted by
earlier runs. The child builds the model, records its peak RSS (VmHWM) and
then times one save; the peak RSS after the save minus the one before it is
the extra memory the save itself needed. Time is the best of --repeats runs.

    python benchmarks/bench_runtime_save.py [--mb 100] [--repeats 3] [--out PATH] [--dir DIR]

Methods:
  torch.save           torch.save(model.state_dict(), path)
  atomic_save(fsync=0) atomic_save without fsync (isolates the cost of fsync)
  atomic_save          atomic_save(model.state_dict(), path)
  save_checkpoint      save_checkpoint(path, model=model, optimizer=None, epoch=0)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
METHODS = ("torch.save", "atomic_save(fsync=0)", "atomic_save", "save_checkpoint")


def _hwm_mib() -> float:
    """Peak resident set size of this process so far (Linux /proc, else getrusage)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def child(method: str, directory: str, mb: float) -> None:
    import torch

    import ckptlint.runtime as rt

    torch.set_num_threads(1)
    width = 2048
    layers = max(1, round(mb * 2**20 / 4 / (width * width + width)))
    model = torch.nn.Sequential(*[torch.nn.Linear(width, width) for _ in range(layers)])
    state = model.state_dict()
    size = sum(t.numel() * t.element_size() for t in state.values())
    path = os.path.join(directory, f"bench-{os.getpid()}.pt")
    before = _hwm_mib()
    start = time.perf_counter()
    if method == "torch.save":
        torch.save(state, path)
    elif method == "atomic_save(fsync=0)":
        rt.atomic_save(state, path, fsync=False)
    elif method == "atomic_save":
        rt.atomic_save(state, path)
    else:
        rt.save_checkpoint(path, model=model, epoch=0)
    seconds = time.perf_counter() - start
    after = _hwm_mib()
    file_size = os.path.getsize(path)
    os.remove(path)
    print(json.dumps({"method": method, "seconds": seconds, "state_mib": size / 2**20,
                      "file_mib": file_size / 2**20, "peak_before_mib": before,
                      "peak_after_mib": after, "extra_peak_mib": after - before}))


def run_one(method: str, directory: str, mb: float) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([REPO_ROOT] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", method,
                           "--dir", directory, "--mb", str(mb)],
                          env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"{method} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def summarise(runs: list[dict]) -> dict:
    best = min(runs, key=lambda r: r["seconds"])
    return {"seconds_best": best["seconds"], "seconds_all": [r["seconds"] for r in runs],
            "extra_peak_mib_max": max(r["extra_peak_mib"] for r in runs),
            "peak_after_mib_max": max(r["peak_after_mib"] for r in runs),
            "state_mib": best["state_mib"], "file_mib": best["file_mib"]}


def table(results: dict[str, dict]) -> str:
    base = results["torch.save"]["seconds_best"]
    lines = [f"{'method':<22}{'best s':>9}{'vs torch.save':>15}{'peak RSS MiB':>14}"
             f"{'extra peak MiB':>16}{'file MiB':>10}"]
    for method, r in results.items():
        lines.append(f"{method:<22}{r['seconds_best']:>9.3f}{r['seconds_best'] / base:>14.2f}x"
                     f"{r['peak_after_mib_max']:>14.1f}{r['extra_peak_mib_max']:>16.1f}"
                     f"{r['file_mib']:>10.1f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=100.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dir", default=None, help="where to write (default: a temp dir)")
    parser.add_argument("--out", default=os.path.join(REPO_ROOT, "benchmarks", "results", "runtime_save.json"))
    parser.add_argument("--child", choices=METHODS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.dir, args.mb)
    directory = args.dir or tempfile.mkdtemp(prefix="ckptlint-bench-")
    try:
        runs: dict[str, list[dict]] = {m: [] for m in METHODS}
        for _ in range(args.repeats):  # interleaved, so drift hits every method alike
            for method in METHODS:
                runs[method].append(run_one(method, directory, args.mb))
    finally:
        if args.dir is None:
            shutil.rmtree(directory, ignore_errors=True)
    results = {m: summarise(r) for m, r in runs.items()}
    print(table(results))
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump({"mb": args.mb, "repeats": args.repeats, "python": platform.python_version(),
                   "platform": platform.platform(), "results": results}, fh, indent=2)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
