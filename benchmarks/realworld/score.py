"""Score a ckptlint run on the real-code set against the hand labels.

For each source of `manifest.json` the labelled files are linted in one run,
from the source's root (the folder that holds its package folders, as
site-packages would), so each file's imports of sibling modules resolve as a
user's would:

    ckptlint check --select ALL --output-format json --exit-zero --no-cache --isolated FILES...

`--isolated` because the set lives inside this repository: without it the run
would read ckptlint's own `pyproject.toml` above the set. No source ships a
configuration, so this is what a user gets who runs ckptlint in the project
without configuring it (target torch version: the oldest supported, 2.0).

A finding matches a label when (file, line, code) are equal. Labels marked
uncertain count neither way: a finding on one is not a false positive, and
missing it is not a false negative. Usage:

    python benchmarks/realworld/score.py [--split tune|holdout|all] [--json] [-v] [--ckptlint "CMD"]

Build the set first (`build.py`).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
MANIFEST = os.path.join(HERE, "manifest.json")
LABELS = os.path.join(HERE, "labels.csv")
CORPUS = os.path.join(HERE, "corpus")
SPLITS = ("tune", "holdout", "all")
OPT_IN = frozenset({"CKPT109", "CKPT404", "CKPT505"})  # the catalog's opt-in rules
LINT_ARGS = ("--select", "ALL", "--output-format", "json", "--exit-zero", "--no-cache", "--isolated")

Key = Tuple[str, int, str]  # (file relative to the set root, line, code)


@dataclass(frozen=True)
class Label:
    file: str  # relative to the set root: `<project>-<version>/<path>`
    line: int
    code: str
    reason: str
    uncertain: bool = False

    @property
    def key(self) -> Key:
        return (self.file, self.line, self.code)


@dataclass
class Tally:
    """Matches of findings to labels: true positives, false positives, false negatives."""

    tp: List[Key] = field(default_factory=list)
    fp: List[Key] = field(default_factory=list)
    fn: List[Key] = field(default_factory=list)
    on_uncertain: List[Key] = field(default_factory=list)  # findings on uncertain labels


def match(labels: Iterable[Label], findings: Iterable[Key]) -> Tally:
    """Match findings to labels by (file, line, code); uncertain labels count neither way."""
    certain = {label.key for label in labels if not label.uncertain}
    uncertain = {label.key for label in labels if label.uncertain} - certain
    found = set(findings)
    return Tally(
        tp=sorted(found & certain),
        fp=sorted(found - certain - uncertain),
        fn=sorted(certain - found),
        on_uncertain=sorted(found & uncertain),
    )


def ratio(numerator: int, denominator: int) -> Optional[float]:
    return numerator / denominator if denominator else None


def counts(tally: Tally, codes: Set[str]) -> Dict[str, object]:
    tp = sum(1 for key in tally.tp if key[2] in codes)
    fp = sum(1 for key in tally.fp if key[2] in codes)
    fn = sum(1 for key in tally.fn if key[2] in codes)
    return {"labels": tp + fn, "tp": tp, "fp": fp, "fn": fn, "precision": ratio(tp, tp + fp), "recall": ratio(tp, tp + fn)}


def summary(tally: Tally, codes: Sequence[str]) -> Dict[str, object]:
    """Per rule, per group (1xx..5xx), every rule, and the default-on rules."""
    groups = sorted({code[:5] for code in codes})
    return {
        "rules": {code: counts(tally, {code}) for code in codes},
        "groups": {f"{group}xx": counts(tally, {c for c in codes if c.startswith(group)}) for group in groups},
        "all": counts(tally, set(codes)),
        "default_on": counts(tally, set(codes) - OPT_IN),
    }


# --- reading the set -------------------------------------------------------------------------


def load_manifest(path: str = MANIFEST) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def source_name(source: dict) -> str:
    return f"{source['project']}-{source['version']}"


def load_labels(path: str = LABELS) -> List[Label]:
    """The labels of `labels.csv` (columns: project, version, path, line, code, uncertain, reason)."""
    with open(path, encoding="utf-8", newline="") as handle:
        return [
            Label(
                file=f"{row['project']}-{row['version']}/{row['path']}",
                line=int(row["line"]),
                code=row["code"],
                reason=row["reason"],
                uncertain=row["uncertain"].strip().lower() in ("1", "yes", "true"),
            )
            for row in csv.DictReader(handle)
        ]


def in_split(source: dict, split: str) -> bool:
    return split == "all" or source["split"] == split


# --- running ckptlint ------------------------------------------------------------------------


def lint(command: Sequence[str], corpus: str, source: dict) -> List[Key]:
    """The findings of one ckptlint run on a source's labelled files, from the source's root."""
    root = os.path.join(corpus, source_name(source))
    paths = [entry["path"] for entry in source["files"]]
    missing = [path for path in paths if not os.path.isfile(os.path.join(root, path))]
    if missing:
        raise SystemExit(f"{source_name(source)}: {', '.join(missing)} missing; run build.py first")
    run = subprocess.run([*command, "check", *LINT_ARGS, *paths], cwd=root, capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"{source_name(source)}: ckptlint exited {run.returncode}:\n{run.stderr}")
    return [
        (f"{source_name(source)}/{finding['filename']}", finding["location"]["row"], finding["code"])
        for finding in json.loads(run.stdout)["findings"]
    ]


# --- reporting -------------------------------------------------------------------------------


def fmt(value: Optional[float]) -> str:
    return "  -  " if value is None else f"{value:.2f}"


def table(result: Dict[str, object]) -> List[str]:
    lines = [f"{'rule':<10}{'labels':>7}{'TP':>5}{'FP':>5}{'FN':>5}{'prec':>7}{'recall':>8}"]

    def row(name: str, c: Dict[str, object]) -> str:
        return f"{name:<10}{c['labels']:>7}{c['tp']:>5}{c['fp']:>5}{c['fn']:>5}{fmt(c['precision']):>7}{fmt(c['recall']):>8}"

    lines += [row(code, c) for code, c in result["rules"].items()]
    lines.append("-" * 47)
    lines += [row(group, c) for group, c in result["groups"].items()]
    lines.append(row("all", result["all"]))
    lines.append(row("default-on", result["default_on"]))
    return lines


def listing(tally: Tally, reasons: Dict[Key, str]) -> List[str]:
    lines = []
    for title, keys in (("false positives", tally.fp), ("false negatives", tally.fn), ("findings on uncertain labels", tally.on_uncertain)):
        lines.append(f"{title} ({len(keys)}):")
        lines += [f"  {file}:{line} {code} {reasons.get((file, line, code), '')}".rstrip() for file, line, code in keys]
    return lines


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=SPLITS, help="score only this split (default: each of them)")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every FP and FN")
    parser.add_argument("--ckptlint", default=f"{shlex.quote(sys.executable)} -m ckptlint", help="the command to run (default: %(default)s)")
    parser.add_argument("--corpus", default=CORPUS)
    args = parser.parse_args(argv)

    manifest, labels = load_manifest(), load_labels()
    splits = [args.split] if args.split else list(SPLITS)
    sources = [source for source in manifest["sources"] if any(in_split(source, split) for split in splits)]
    findings = {source_name(source): lint(shlex.split(args.ckptlint), args.corpus, source) for source in sources}
    codes = sorted(manifest["codes"])
    reasons = {label.key: label.reason for label in labels}

    results = {}
    for split in splits:
        names = {source_name(source) for source in sources if in_split(source, split)}
        tally = match(
            [label for label in labels if label.file.split("/", 1)[0] in names],
            [key for name in names for key in findings[name] if key[2] in codes],
        )
        results[split] = (tally, summary(tally, codes))

    if args.json:
        out = {split: {**result, "fp": tally.fp, "fn": tally.fn} if args.verbose else result for split, (tally, result) in results.items()}
        print(json.dumps(out, indent=2))
        return 0
    for split, (tally, result) in results.items():
        entries = sum(1 for source in sources if in_split(source, split) for entry in source["files"] if entry["role"] == "entry")
        print(f"== {split}: {entries} entry files")
        print("\n".join(table(result)))
        if args.verbose:
            print("\n".join(listing(tally, reasons)))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
