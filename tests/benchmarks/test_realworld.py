"""The real-code set's manifest and labels are well-formed, and score.py matches findings to labels right.

No network and no corpus: these read only the committed files.
"""

from __future__ import annotations

import csv
import importlib.util
import os
import re
import sys
from collections import Counter

import pytest

from ckptlint.rules.registry import BY_CODE

REALWORLD = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks", "realworld")


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"realworld_{name}", os.path.join(REALWORLD, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


score = load("score")
MANIFEST = score.load_manifest(os.path.join(REALWORLD, "manifest.json"))
LABELS = score.load_labels(os.path.join(REALWORLD, "labels.csv"))
LISTED = {f"{score.source_name(source)}/{entry['path']}" for source in MANIFEST["sources"] for entry in source["files"]}


def test_codes_are_ckptlint_rules_and_opt_in_matches_the_table():
    assert set(MANIFEST["codes"]) <= set(BY_CODE)
    assert {code for code in MANIFEST["codes"] if BY_CODE[code].opt_in} == score.OPT_IN


def test_sources_are_pinned_wheels_with_hashes():
    for source in MANIFEST["sources"]:
        assert re.fullmatch(r"[0-9][0-9A-Za-z.+-]*", source["version"]), source["project"]
        assert source["archive"].endswith(".whl")
        assert re.fullmatch(r"[0-9a-f]{64}", source["archive_sha256"])
        assert source["split"] in ("tune", "holdout")
        assert source["files"], source["project"]
        for entry in source["files"]:
            assert entry["role"] in ("entry", "module")
            assert re.fullmatch(r"[0-9a-f]{64}", entry["sha256"])
            assert entry["path"].endswith(".py") and not os.path.isabs(entry["path"])


def test_every_label_is_well_formed_and_listed():
    for label in LABELS:
        assert label.code in MANIFEST["codes"], label
        assert label.line > 0, label
        assert label.file in LISTED, label
        assert label.reason.strip(), label


def test_no_duplicate_labels():
    duplicates = [key for key, n in Counter(label.key for label in LABELS).items() if n > 1]
    assert duplicates == []


def test_labels_csv_has_the_documented_columns():
    with open(os.path.join(REALWORLD, "labels.csv"), encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    assert header == ["project", "version", "path", "line", "code", "uncertain", "reason"]


def test_holdout_is_the_documented_rule():
    import hashlib

    for source in MANIFEST["sources"]:
        holdout = int(hashlib.sha256(source["project"].encode()).hexdigest(), 16) % 4 == 2
        assert source["split"] == ("holdout" if holdout else "tune"), source["project"]


# --- matching ----------------------------------------------------------------------------------

L = score.Label


def test_match_counts_tp_fp_fn_and_ignores_uncertain_labels():
    labels = [
        L("p-1/a.py", 10, "CKPT102", "r"),
        L("p-1/a.py", 12, "CKPT201", "r"),
        L("p-1/b.py", 3, "CKPT301", "r", uncertain=True),
        L("p-1/b.py", 4, "CKPT302", "r", uncertain=True),
    ]
    findings = [
        ("p-1/a.py", 10, "CKPT102"),  # TP
        ("p-1/a.py", 10, "CKPT102"),  # the same finding twice counts once
        ("p-1/a.py", 11, "CKPT201"),  # wrong line: FP, and line 12 is a FN
        ("p-1/a.py", 12, "CKPT202"),  # wrong code: FP
        ("p-1/b.py", 3, "CKPT301"),  # on an uncertain label: neither
    ]
    tally = score.match(labels, findings)
    assert tally.tp == [("p-1/a.py", 10, "CKPT102")]
    assert tally.fp == [("p-1/a.py", 11, "CKPT201"), ("p-1/a.py", 12, "CKPT202")]
    assert tally.fn == [("p-1/a.py", 12, "CKPT201")]
    assert tally.on_uncertain == [("p-1/b.py", 3, "CKPT301")]


def test_summary_per_rule_group_and_default_on():
    labels = [L("f", 1, "CKPT101", "r"), L("f", 2, "CKPT109", "r"), L("f", 3, "CKPT201", "r")]
    findings = [("f", 1, "CKPT101"), ("f", 2, "CKPT109"), ("f", 9, "CKPT109")]
    result = score.summary(score.match(labels, findings), ["CKPT101", "CKPT109", "CKPT201"])
    assert result["rules"]["CKPT109"] == {"labels": 1, "tp": 1, "fp": 1, "fn": 0, "precision": 0.5, "recall": 1.0}
    assert result["rules"]["CKPT201"]["recall"] == 0.0 and result["rules"]["CKPT201"]["precision"] is None
    assert result["groups"]["CKPT1xx"] == {"labels": 2, "tp": 2, "fp": 1, "fn": 0, "precision": 2 / 3, "recall": 1.0}
    assert result["groups"]["CKPT2xx"]["fn"] == 1
    assert result["default_on"] == {"labels": 2, "tp": 1, "fp": 0, "fn": 1, "precision": 1.0, "recall": 0.5}


@pytest.mark.parametrize("split, expected", [("tune", True), ("holdout", False), ("all", True)])
def test_in_split(split, expected):
    assert score.in_split({"split": "tune"}, split) is expected
