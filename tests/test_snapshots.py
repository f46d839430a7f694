"""Golden snapshots of every fixture with all rules enabled.

Each snapshot lists the findings (range, message, fix tier and title) and the
diffs after safe and after unsafe fixes. Update with
`CKPTLINT_UPDATE_SNAPSHOTS=1 pytest tests/test_snapshots.py` and review the diff.
"""

from __future__ import annotations

import difflib
import os
from typing import List

import libcst as cst
import pytest
from support import FIXTURES, REPO, settings

from ckptlint.api import fix_source, lint_source
from ckptlint.engine.source import read_source

SNAPSHOTS = os.path.join(REPO, "tests", "snapshots")
ALL = {"select": ["ALL"]}


def _fixtures() -> List[str]:
    found = []
    for directory, _, files in os.walk(FIXTURES):
        for name in files:
            if name.endswith(".py"):
                found.append(os.path.relpath(os.path.join(directory, name), FIXTURES).replace(os.sep, "/"))
    return sorted(found)


def _diff(before: str, after: str) -> str:
    if before == after:
        return "no change\n"
    lines = difflib.unified_diff(before.splitlines(True), after.splitlines(True), n=0)
    return "".join(list(lines)[2:])


def render_snapshot(relative: str) -> str:
    path = os.path.join(FIXTURES, relative)
    text = read_source(path, 10**7).text
    config = settings(ALL)
    outcome = lint_source(text, relative, config)
    assert not outcome.errors, outcome.errors
    out = [f"fixture: {relative}\n"]
    for d in outcome.diagnostics:
        span = d.span
        fix = f"  [{d.fix.applicability.value} fix: {d.fix.title}]" if d.fix else ""
        out.append(f"{d.code} {d.name}  {span.line}:{span.column}-{span.end_line}:{span.end_column}  {d.message}{fix}\n")
    for label, unsafe in (("safe", False), ("unsafe", True)):
        fixed = fix_source(text, relative, config, unsafe_fixes=unsafe)
        assert fixed.error is None
        cst.parse_module(fixed.text)
        again = fix_source(fixed.text, relative, config, unsafe_fixes=unsafe)
        assert again.text == fixed.text, "fixing twice must change nothing"
        out.append(f"--- after {label} fixes:\n{_diff(text, fixed.text)}")
    return "".join(out)


@pytest.mark.parametrize("relative", _fixtures())
def test_snapshot(relative: str) -> None:
    actual = render_snapshot(relative)
    snap = os.path.join(SNAPSHOTS, relative.replace("/", "__").replace(".py", ".snap"))
    if os.environ.get("CKPTLINT_UPDATE_SNAPSHOTS") == "1":
        with open(snap, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(actual)
    assert os.path.exists(snap), f"missing snapshot {snap}: run with CKPTLINT_UPDATE_SNAPSHOTS=1"
    with open(snap, encoding="utf-8") as handle:
        assert actual == handle.read()


@pytest.mark.parametrize("relative", [f for f in _fixtures() if f.startswith("good/")])
def test_good_fixtures_are_silent(relative: str) -> None:
    text = read_source(os.path.join(FIXTURES, relative), 10**7).text
    assert lint_source(text, relative, settings(ALL)).diagnostics == []


@pytest.mark.parametrize("relative", [f for f in _fixtures() if f.startswith("bad/")])
def test_bad_fixtures_fire(relative: str) -> None:
    text = read_source(os.path.join(FIXTURES, relative), 10**7).text
    assert lint_source(text, relative, settings(ALL)).diagnostics
