"""Time and memory against file size: generated training scripts from 50 KB to 3 MB.

    python benchmarks/bench_scaling.py [--sizes 50,100,200,400,800,1600,3200] [--ckptlint "python -m ckptlint"]

Each script is a module-level model and optimizer plus N copies of a training
function (a loop with a backward pass and an optimizer step, a periodic
`torch.save` of a complete checkpoint dict built up in a variable, a
`torch.load` and its restores) and the call that runs it: every function reads
the module's globals, every save has names in scope, so each copy adds the
same analysis work (and few findings, so that what is measured is the
analysis, not the rendering of thousands of findings and their fixes). The linear-time claim
(issue #22): seconds per megabyte stays flat as the file grows, and the
3 MB script finishes in under 30 s on this 2-core machine. Each size runs in
a fresh process (`ckptlint FILE --select ALL --no-cache`), timed wall-clock,
peak RSS from `wait4`.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time
from typing import List, Tuple

TEMPLATE = '''
def train_{i}(loader, epochs):
    sched = torch.optim.lr_scheduler.StepLR(opt, 10)
    for epoch in range(epochs):
        for x, y in loader:
            opt.zero_grad()
            loss = (model(x) - y).pow(2).mean()
            loss.backward()
            opt.step()
        state = {{"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict()}}
        state.update(epoch=epoch + 1, rng=torch.get_rng_state())
        torch.save(state, os.path.join(CKPT_DIR, f"run_{i}_{{epoch}}.pt"))
    state_{i} = torch.load(os.path.join(CKPT_DIR, "run_{i}.pt"), map_location="cpu", weights_only=True)
    model.load_state_dict(state_{i}["model"])
    opt.load_state_dict(state_{i}["optimizer"])
    sched.load_state_dict(state_{i}["scheduler"])
    torch.set_rng_state(state_{i}["rng"])

train_{i}(DataLoader([], batch_size=4), 3)
'''
HEADER = (
    "import os\nimport torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader\n\n"
    "CKPT_DIR = os.environ['CKPT_DIR']\nos.makedirs(CKPT_DIR, exist_ok=True)\n"
    "model = nn.Linear(4, 4)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
)


def script(kilobytes: int) -> str:
    parts = [HEADER]
    size, index = len(HEADER), 0
    while size < kilobytes * 1024:
        part = TEMPLATE.format(i=index)
        parts.append(part)
        size += len(part)
        index += 1
    return "".join(parts)


def measure(command: List[str], path: str) -> Tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one run."""
    started = time.perf_counter()
    process = subprocess.Popen([*command, path, "--select", "ALL", "--no-cache", "--exit-zero", "-q"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="50,100,200,400,800,1600,3200", help="kilobytes, comma-separated")
    parser.add_argument("--ckptlint", default=f"{sys.executable} -m ckptlint")
    args = parser.parse_args()
    command = shlex.split(args.ckptlint)
    print(f"{'size':>9} {'seconds':>9} {'s/MB':>7} {'peak MiB':>9}")
    with tempfile.TemporaryDirectory() as folder:
        for kilobytes in (int(k) for k in args.sizes.split(",")):
            path = os.path.join(folder, f"generated_{kilobytes}k.py")
            with open(path, "w") as handle:
                handle.write(script(kilobytes))
            megabytes = os.path.getsize(path) / 1e6
            seconds, peak = measure(command, path)
            print(f"{megabytes:>7.2f}MB {seconds:>9.2f} {seconds / megabytes:>7.2f} {peak:>9.0f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
