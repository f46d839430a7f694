"""The pre-filter is sufficient on real code: no rule fires on a file it skips.

    python benchmarks/build_corpus.py                     # once
    python benchmarks/prefilter_soundness.py [--corpus benchmarks/corpus] [--jobs 2]

Every file of the corpus that the pre-filter would skip (with every rule
selected, and the project index: the words of the code a file reaches in its
other modules count) is linted where it is, with the pre-filter off (`CKPTLINT_NO_PREFILTER=1`,
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
from typing import List

from bench_lint import HERE, REPO, corpus_files, count_lines


def skipped_files(files: List[str]) -> List[str]:
    """The files the pre-filter skips as a run from the repository lints them: with the project
    index, so that the words of the code each file reaches in its other modules count."""
    sys.path.insert(0, REPO)
    from ckptlint.config.loader import build_settings
    from ckptlint.engine.session.documents import read_document
    from ckptlint.engine.session.process import can_matter, project_view

    settings = build_settings({"select": ["ALL"]}, root=REPO)
    skipped = []
    for path in files:
        try:
            document = read_document(path, 1 << 30)
        except Exception:
            continue
        if not can_matter(document, settings, project_view(path, settings)):
            skipped.append(path)
    return skipped


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default=os.path.join(HERE, "corpus"))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    files = corpus_files(args.corpus)
    skipped = skipped_files(files)
    print(f"corpus: {len(files)} files, {count_lines(files)} lines; "
          f"the pre-filter skips {len(skipped)} files, {count_lines(skipped)} lines")
    env = {**os.environ, "CKPTLINT_NO_PREFILTER": "1"}
    # The files by name, where they are: their imports resolve as in a real run (the corpus
    # folder is in .gitignore, which a walk would respect).
    command = [sys.executable, "-m", "ckptlint", "check", "--select", "ALL", "--no-cache", "--isolated",
               "--output-format", "json", "--jobs", str(args.jobs), *skipped]
    started = time.perf_counter()
    run = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    findings = json.loads(run.stdout)["findings"] if run.stdout else []
    print(f"linted the skipped files with the pre-filter off in {time.perf_counter() - started:.0f} s: "
          f"{len(findings)} findings (exit {run.returncode})")
    for finding in findings[:20]:
        print(f"  {finding['filename']}:{finding['location']['row']}: {finding['code']} {finding['message']}")
    if run.returncode not in (0, 1):
        print(run.stderr, file=sys.stderr)
    return 0 if not findings and run.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
