"""`--fix --unsafe-fixes` over real code no one here wrote, checked file by file.

    python benchmarks/build_corpus.py                     # once
    python benchmarks/robustness_corpus.py [--corpus benchmarks/corpus] [--jobs 2]
        [--scratch /tmp/ckptlint-robustness] [--limit N] [--out benchmarks/results/robustness_corpus.json]

On a scratch copy of the corpus (the corpus itself is never touched):
1. every file that compiles is recorded, and the findings with an applicable
   (safe or unsafe) fix are collected in-process (`lint_paths`, all rules);
2. the real command line runs: `ckptlint check --fix --unsafe-fixes --select ALL`;
3. every file that compiled before must still compile (and parse with libcst);
4. a second `--fix --unsafe-fixes` run must change no byte (idempotence; it
   runs on the files the first run changed or had fixable findings in: the
   engine is deterministic, so an untouched file stays untouched);
5. no internal error may be reported by either run;
6. after fixing (the second run's JSON findings), no finding with the same code at the same anchor text as a
   fixable finding from before may remain (what the fixes were meant to remove).

Exit status 0 only when every check holds. Slow (minutes): not part of `pytest`.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from typing import Dict, List, Sequence, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)

from ckptlint.api import FixMode, lint_paths  # noqa: E402
from ckptlint.config.loader import build_settings  # noqa: E402

Anchor = Tuple[str, str]  # (code, the text the finding points at)


def python_files(root: str) -> List[str]:
    found = []
    for directory, dirs, files in os.walk(root):
        dirs.sort()
        found.extend(os.path.join(directory, f) for f in sorted(files) if f.endswith((".py", ".pyi")))
    return found


def digest(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def compiles(path: str) -> bool:
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        compile(data, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def libcst_parses(path: str) -> bool:
    import libcst as cst

    with open(path, "rb") as handle:
        data = handle.read()
    try:
        cst.parse_module(data)
    except Exception:
        return False
    return True


def fixable_anchors(report, unsafe: bool = True) -> Dict[str, Counter]:
    """Per file: the (code, anchor text) of every finding with an applicable fix."""
    result: Dict[str, Counter] = {}
    for file in report.files:
        text = file.original or ""
        for d in file.diagnostics:
            if d.fix is not None and d.fix.applicability.allowed(unsafe):
                anchor = text[d.span.start_offset : d.span.end_offset]
                result.setdefault(os.path.abspath(file.path), Counter())[(d.code, anchor)] += 1
    return result


def cli_anchors(items: list, scratch: str) -> Dict[str, Counter]:
    """Per file: (code, anchor text) of the JSON findings, read from the file as it is now."""
    result: Dict[str, Counter] = {}
    texts: Dict[str, List[str]] = {}
    for item in items:
        if item["code"] is None:  # a file that could not be linted: no anchor
            continue
        path = os.path.abspath(os.path.join(scratch, item["filename"]))
        if path not in texts:
            from ckptlint.engine.source import read_source

            texts[path] = read_source(path, 1 << 30).text.splitlines(keepends=True)
        lines = texts[path]
        start, end = item["location"], item["end_location"]
        if start["row"] == end["row"]:
            anchor = lines[start["row"] - 1][start["column"] - 1 : end["column"] - 1]
        else:
            anchor = lines[start["row"] - 1][start["column"] - 1 :] + "".join(
                lines[start["row"] : end["row"] - 1]
            ) + lines[end["row"] - 1][: end["column"] - 1]
        result.setdefault(path, Counter())[(item["code"], anchor)] += 1
    return result


def run_cli(scratch: str, jobs: int, timeout: float, paths: Sequence[str] = (".",)) -> Tuple[int, List[str], float, list]:
    argv = [
        sys.executable, "-m", "ckptlint", "check", "--fix", "--unsafe-fixes", "--isolated",
        "--select", "ALL", "--no-cache", "--jobs", str(jobs), "--output-format", "json", *paths,
    ]
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=scratch, capture_output=True, text=True, timeout=timeout)
    elapsed = time.perf_counter() - start
    internal = []
    if proc.returncode not in (0, 1, 2) or "Traceback" in proc.stderr:
        internal.append(f"CLI crashed (exit {proc.returncode}): {proc.stderr[-2000:]}")
    try:
        items = json.loads(proc.stdout)["findings"]  # the ckptlint.check/1 document
    except (ValueError, KeyError, TypeError):
        items = []
        internal.append(f"CLI printed no JSON document: {proc.stdout[-500:]}")
    # files that could not be linted are findings too; internal errors are bugs
    internal += [f"{i['filename']}: {i['message']}" for i in items if i["name"] == "internal-error"]
    return proc.returncode, internal, elapsed, items


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=os.path.join(HERE, "corpus"))
    parser.add_argument("--scratch", default="/tmp/ckptlint-robustness")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="only the first N files (0: all)")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)

    if not os.path.isdir(args.corpus):
        print(f"no corpus at {args.corpus}: run benchmarks/build_corpus.py first", file=sys.stderr)
        return 2
    if os.path.exists(args.scratch):
        shutil.rmtree(args.scratch)
    source_files = python_files(args.corpus)
    if args.limit:
        source_files = source_files[: args.limit]
    for path in source_files:
        target = os.path.join(args.scratch, os.path.relpath(path, args.corpus))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(path, target)
    files = python_files(args.scratch)
    originals = {}
    for path in files:
        with open(path, "rb") as handle:
            originals[path] = handle.read()
    lines = sum(data.count(b"\n") for data in originals.values())
    compiled_before = {p for p in files if compiles(p)}
    print(f"{len(files)} files, {lines:,} lines; {len(compiled_before)} compile", flush=True)

    settings = build_settings({"select": ["ALL"]}, root=args.scratch)
    t0 = time.perf_counter()
    before = lint_paths([args.scratch], settings, FixMode.CHECK, jobs=args.jobs)
    print(f"lint before: {time.perf_counter() - t0:.1f}s, {len(before.diagnostics)} findings", flush=True)
    expected_gone = fixable_anchors(before)
    internal = [e.render() for e in before.errors if e.internal]

    code1, internal1, t_fix, _ = run_cli(args.scratch, args.jobs, args.timeout)
    print(f"fix run: exit {code1}, {t_fix:.1f}s", flush=True)
    after_first = {p: digest(p) for p in files}
    # The engine is deterministic: a file the first run left alone, the second
    # leaves alone too. So the second run covers the files the first run changed
    # and those that had fixable findings (to see what remains in them).
    again = sorted(
        {os.path.relpath(p, args.scratch) for p in files if after_first[p] != hashlib.sha256(originals[p]).hexdigest()}
        | {os.path.relpath(p, args.scratch) for p in expected_gone}
    )
    code2, internal2, t_fix2, after_items = run_cli(args.scratch, args.jobs, args.timeout, again or ["."])
    print(f"second fix run: exit {code2}, {t_fix2:.1f}s", flush=True)
    internal += internal1 + internal2

    changed, broken, nonidempotent = [], [], []
    lines_changed = 0
    lines_in_fixed_files = 0
    for path in files:
        with open(path, "rb") as handle:
            now = handle.read()
        if digest(path) != after_first[path]:
            nonidempotent.append(path)
        if now != originals[path]:
            changed.append(path)
            lines_in_fixed_files += originals[path].count(b"\n")
            old = originals[path].decode("utf-8", "replace").splitlines()
            new = now.decode("utf-8", "replace").splitlines()
            lines_changed += sum(
                1 for line in difflib.unified_diff(old, new, lineterm="", n=0)
                if line[:1] == "-" and not line.startswith("---")
            )
            if path in compiled_before and not (compiles(path) and libcst_parses(path)):
                broken.append(path)
        elif path in compiled_before and not compiles(path):
            broken.append(path)

    # The second run's findings are those left in the fixed files (it changed nothing).
    remaining = cli_anchors(after_items, args.scratch)
    should_be_gone = []
    for path, anchors in expected_gone.items():
        left = remaining.get(path, Counter())
        for key in anchors:
            if left.get(key):
                should_be_gone.append(f"{os.path.relpath(path, args.scratch)}: {key[0]} at {key[1][:60]!r}")

    result = {
        "corpus": os.path.relpath(args.corpus, REPO) if args.corpus.startswith(REPO) else args.corpus,
        "files": len(files),
        "lines": lines,
        "files_compiling_before": len(compiled_before),
        "findings_before": len(before.diagnostics),
        "fixable_findings_before": sum(sum(c.values()) for c in expected_gone.values()),
        "findings_after": sum(1 for item in after_items if item["code"] is not None),
        "files_fixed": len(changed),
        "lines_in_fixed_files": lines_in_fixed_files,
        "lines_changed_by_fixes": lines_changed,
        "internal_errors": len(internal),
        "files_broken": len(broken),
        "non_idempotent_files": len(nonidempotent),
        "fixable_findings_remaining": len(should_be_gone),
        "fix_run_seconds": round(t_fix, 1),
        "jobs": args.jobs,
        "details": {
            "internal": internal[:50],
            "broken": [os.path.relpath(p, args.scratch) for p in broken],
            "non_idempotent": [os.path.relpath(p, args.scratch) for p in nonidempotent],
            "remaining": should_be_gone[:50],
            "fixed_files": [os.path.relpath(p, args.scratch) for p in changed],
        },
    }
    print(json.dumps({k: v for k, v in result.items() if k != "details"}, indent=2))
    for key in ("internal", "broken", "non_idempotent", "remaining"):
        for item in result["details"][key]:
            print(f"{key}: {item}")
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as handle:
            json.dump(result, handle, indent=2)
            handle.write("\n")
    ok = not (internal or broken or nonidempotent or should_be_gone)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
