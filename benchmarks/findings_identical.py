"""Check that a change to the engine changes no finding: the full JSON output (findings, fixes,
file errors) of one build on the benchmark corpus, the fixtures and the real-code set, written
once and compared byte for byte with another build's.

    PYTHONPATH=/path/to/old/checkout python benchmarks/findings_identical.py --write /tmp/before.json
    python benchmarks/findings_identical.py --compare /tmp/before.json     # exit 1 on any difference

Each set is linted as its own runs lint it: the corpus and the fixtures from their folder, each
source of the real-code set from its root with its labelled files (as `realworld/score.py`
does), all with `--select ALL --isolated --no-cache` so that no configuration and no cache
takes part; the JSON output shows every fix's edits too. Build the sets first
(`build_corpus.py`, `realworld/build.py`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from typing import Dict, List

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
ARGS = ("check", "--select", "ALL", "--output-format", "json", "--exit-zero", "--no-cache", "--isolated")

sys.path.insert(0, os.path.join(HERE, "realworld"))
from score import CORPUS as REALWORLD, load_manifest, source_name  # noqa: E402


def run(paths: List[str], cwd: str) -> str:
    result = subprocess.run([sys.executable, "-m", "ckptlint", *ARGS, *paths], cwd=cwd, capture_output=True, text=True)
    if result.returncode not in (0, 2) or not result.stdout:  # 2: an internal error, in the output too
        raise SystemExit(f"ckptlint exited {result.returncode} in {cwd}:\n{result.stderr}")
    return result.stdout


def outputs() -> Dict[str, str]:
    found = {
        "corpus": run(["."], os.path.join(HERE, "corpus")),
        "fixtures": run(["."], os.path.join(REPO, "fixtures")),
    }
    for source in load_manifest()["sources"]:
        root = os.path.join(REALWORLD, source_name(source))
        found[f"realworld/{source_name(source)}"] = run([entry["path"] for entry in source["files"]], root)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", metavar="FILE")
    group.add_argument("--compare", metavar="FILE")
    args = parser.parse_args()
    current = outputs()
    for name, text in current.items():
        print(f"{name}: {len(json.loads(text)['findings'])} findings, sha256 {hashlib.sha256(text.encode()).hexdigest()[:16]}")
    if args.write:
        with open(args.write, "w", encoding="utf-8") as handle:
            json.dump(current, handle)
        return 0
    with open(args.compare, encoding="utf-8") as handle:
        before = json.load(handle)
    differing = sorted(name for name in before.keys() | current.keys() if before.get(name) != current.get(name))
    for name in differing:
        print(f"DIFFERENT: {name}")
    print("identical" if not differing else f"{len(differing)} set(s) differ")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
