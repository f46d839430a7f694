"""What the project index costs: the corpus with and without it, and a pre-commit run in a big project.

    python benchmarks/build_corpus.py          # once
    python benchmarks/bench_index.py [--corpus benchmarks/corpus] [--max-lines N]

Measured in fresh processes, in one run (the machine's speed drifts; compare ratios):
- the index of the corpus, cold (every imported project module summarised from one parse, the
  summaries written to an empty cache folder) and warm (read back from that folder), each a run
  whose cached results are deleted first, so only the summaries are reused (`--no-cache` turns
  the summaries' cache off too);
- a cold lint of the corpus (`--no-cache`: no result and no summary read from disk) with the
  index and without it (`CKPTLINT_NO_INDEX=1`), best of 2, alternating; the target: with <=
  1.15x without; the same with the cache on and empty (a user's first run: the workers of
  `--jobs` read the summaries the others wrote); and the ratio with the summaries warm
  (`index_warm` / the cold run without the index);
- one file in a generated project of 200 modules (a training script importing a chain of helper
  modules, the pre-commit case) with the index warm: `ckptlint train.py`, end to end, median of
  5; the target: <= 0.5 s on this 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List

from bench_lint import corpus_files, sample

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "CKPTLINT_NO_INDEX")}


def run(argv: List[str], cwd: str, env: Dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def lint(paths: List[str], cwd: str, cache: str, *, index: bool, result_cache: bool = False) -> float:
    env = dict(ENV, CKPTLINT_CACHE_DIR=cache)
    if not index:
        env["CKPTLINT_NO_INDEX"] = "1"
    flags = [] if result_cache else ["--no-cache"]
    argv = [sys.executable, "-m", "ckptlint", *paths, "--select", "ALL", "--exit-zero", "-q", *flags]
    return run(argv, cwd, env)


def drop_results(cache: str) -> None:
    """Delete the cached lint results under ``cache``, keeping the summaries."""
    if os.path.isdir(cache):
        for entry in os.listdir(cache):
            if entry != "summaries" and os.path.isdir(os.path.join(cache, entry)):
                shutil.rmtree(os.path.join(cache, entry))


def warm_index(paths: List[str], cwd: str, cache: str) -> float:
    """A lint with the summaries under ``cache`` and no cached result."""
    drop_results(cache)
    return lint(paths, cwd, cache, index=True, result_cache=True)


def generated_project(root: str, modules: int) -> str:
    """A project of ``modules`` helper modules, each calling the previous one's helper, and a
    training script that imports the last: its one-file lint reads the whole chain."""
    os.makedirs(root, exist_ok=True)
    for index in range(modules):
        previous = f"from helpers_{index - 1} import helper_{index - 1}\n" if index else ""
        body = (
            "import torch\nimport torch.distributed as dist\n" + previous +
            f"\n\ndef helper_{index}(x):\n    return {f'helper_{index - 1}(x)' if index else 'x'}\n\n\n"
            f"def save_{index}(state, path):\n    if dist.get_rank() == 0:\n        torch.save(state, path)\n"
        )
        with open(os.path.join(root, f"helpers_{index}.py"), "w") as handle:
            handle.write(body)
    with open(os.path.join(root, "train.py"), "w") as handle:
        handle.write(
            "import torch\nimport torch.nn as nn\n"
            f"from helpers_{modules - 1} import save_{modules - 1}\n\n"
            "model = nn.Linear(2, 2)\noptimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n"
            "for epoch in range(10):\n"
            f"    save_{modules - 1}({{'model': model.state_dict(), 'optimizer': optimizer.state_dict(), 'epoch': epoch}}, 'last.pt')\n"
        )
    with open(os.path.join(root, "pyproject.toml"), "w") as handle:
        handle.write("[tool.ckptlint]\n")
    return os.path.join(root, "train.py")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", default=os.path.join(HERE, "corpus"))
    parser.add_argument("--modules", type=int, default=200)
    parser.add_argument("--max-lines", type=int, default=0, help="a deterministic sample of about this many lines (0: the whole corpus, as a user lints it)")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="ckptlint-bench-index-")
    try:
        results: Dict[str, float] = {}
        if os.path.isdir(args.corpus):
            # the files by name: the corpus folder is in .gitignore, which a walk respects
            files = corpus_files(args.corpus)
            files = sample(files, args.max_lines) if args.max_lines else files
            print(f"corpus: {len(files)} files")
            cache = os.path.join(work, "corpus-cache")
            shutil.rmtree(cache, ignore_errors=True)
            results["index_cold"] = lint(files, REPO, cache, index=True, result_cache=True)
            results["index_warm"] = warm_index(files, REPO, cache)
            runs: Dict[str, List[float]] = {}
            for _ in range(2):
                for index in (True, False):
                    shutil.rmtree(cache, ignore_errors=True)
                    runs.setdefault(f"cold_{'with' if index else 'without'}_index", []).append(lint(files, REPO, cache, index=index))
                    shutil.rmtree(cache, ignore_errors=True)  # a first run as a user makes it: the cache on, empty
                    runs.setdefault(f"empty_cache_{'with' if index else 'without'}_index", []).append(
                        lint(files, REPO, cache, index=index, result_cache=True))
            results.update({name: min(times) for name, times in runs.items()})
            results["with_vs_without"] = results["cold_with_index"] / results["cold_without_index"]
            results["empty_cache_with_vs_without"] = results["empty_cache_with_index"] / results["empty_cache_without_index"]
            results["warm_index_vs_without"] = results["index_warm"] / results["cold_without_index"]
        project = os.path.join(work, "project")
        train = generated_project(project, args.modules)
        cache = os.path.join(work, "project-cache")
        lint(["train.py"], project, cache, index=True, result_cache=True)  # fills the summaries
        times = [warm_index(["train.py"], project, cache) for _ in range(5)]
        results[f"one_file_{args.modules}_modules_warm_index"] = statistics.median(times)
        for name, value in results.items():
            unit = "x" if name.endswith("_without") else "s"
            print(f"{name:40s} {value:8.2f} {unit}")
        del train
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
