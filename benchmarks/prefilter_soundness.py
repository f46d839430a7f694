"""The pre-filter is sufficient on real code: no rule fires on a file it skips.

    python benchmarks/build_corpus.py                     # once
    python benchmarks/prefilter_soundness.py [--corpus benchmarks/corpus] [--jobs 2]

Every file of the corpus that the pre-filter would skip (with every rule
selected) is linted with the pre-filter off (`CKPTLINT_NO_PREFILTER=1`,
`--select ALL`, no cache). Any finding there is a rule whose `requires` is too
narrow. Exit status 0 only when there is none. Slow (every skipped file gets a
full analysis): not part of `pytest`, which runs the same comparison on every
rule example and fixture.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from bench_lint import HERE, REPO, _link_dir, analysed_files, corpus_files, count_lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default=os.path.join(HERE, "corpus"))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    files = corpus_files(args.corpus)
    kept = set(analysed_files(files))
    skipped = [path for path in files if path not in kept]
    print(f"corpus: {len(files)} files, {count_lines(files)} lines; "
          f"the pre-filter skips {len(skipped)} files, {count_lines(skipped)} lines")
    env = {**os.environ, "CKPTLINT_NO_PREFILTER": "1"}
    command = [sys.executable, "-m", "ckptlint", "check", "--select", "ALL", "--no-cache", "--isolated",
               "--output-format", "json", "--jobs", str(args.jobs), _link_dir(skipped)]
    started = time.perf_counter()
    run = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    findings = json.loads(run.stdout or "[]")
    print(f"linted the skipped files with the pre-filter off in {time.perf_counter() - started:.0f} s: "
          f"{len(findings)} findings (exit {run.returncode})")
    for finding in findings[:20]:
        print(f"  {finding['filename']}:{finding['location']['row']}: {finding['code']} {finding['message']}")
    if run.returncode not in (0, 1):
        print(run.stderr, file=sys.stderr)
    return 0 if not findings and run.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
