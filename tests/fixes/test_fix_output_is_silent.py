"""After `--fix` and after `--fix --unsafe-fixes` on the fixtures, no rule reports
anything about a fix's own output (#18, "Must show"): every finding of the fixed
file was already reported, at the same statement, on the file before the fix.

A finding counts as carried over when it has the same code and message as one
of the original file's, anchored on a line the fix left alone or rewrote (the
lines of a changed block map to the block they replaced); a finding on a line
the fix only added, or one with a new message, is about the fix's output.
"""

from __future__ import annotations

import difflib
import os
from typing import Dict, List, Set

import pytest
from support import FIXTURES, settings

from ckptlint.api import fix_source, lint_source
from ckptlint.diagnostics import Diagnostic
from ckptlint.engine.source import read_source

ALL = {"select": ["ALL"]}


def _old_lines(before: str, after: str) -> Dict[int, Set[int]]:
    """For each line of ``after``, the lines of ``before`` it stands for (none: added)."""
    old, new = before.splitlines(), after.splitlines()
    lines: Dict[int, Set[int]] = {}
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        for j in range(j1, j2):
            if tag == "equal":
                lines[j + 1] = {i1 + (j - j1) + 1}
            elif tag == "replace":
                lines[j + 1] = set(range(i1 + 1, i2 + 1))
    return lines


def about_the_fix(before: str, original: List[Diagnostic], after: str, fixed: List[Diagnostic]) -> List[Diagnostic]:
    """The findings of the fixed text that the original text did not have."""
    seen = {(d.code, d.message, d.span.line) for d in original}
    old_lines = _old_lines(before, after)
    return [
        d for d in fixed
        if not any((d.code, d.message, line) in seen for line in old_lines.get(d.span.line, ()))
    ]


def _cases() -> List[object]:
    names = sorted(name[:-3] for name in os.listdir(os.path.join(FIXTURES, "bad")) if name.endswith(".py"))
    return [
        pytest.param(name, unsafe, id=f"{name}-{'unsafe' if unsafe else 'safe'}")
        for name in names
        for unsafe in (False, True)
    ]


@pytest.mark.parametrize("name, unsafe", _cases())
def test_no_finding_about_a_fixs_own_output(name: str, unsafe: bool) -> None:
    relative = f"bad/{name}.py"
    text = read_source(os.path.join(FIXTURES, relative), 10**7).text
    config = settings(ALL)
    fixed = fix_source(text, relative, config, unsafe_fixes=unsafe)
    assert fixed.error is None
    original = lint_source(text, relative, config).diagnostics
    new = about_the_fix(text, original, fixed.text, lint_source(fixed.text, relative, config).diagnostics)
    assert new == [], [f"{d.span.line}: {d.code} {d.message}" for d in new]


def test_lines_map_to_the_lines_they_rewrite_and_added_lines_to_none() -> None:
    before = "a = 1\nb = 2\nd = 5\n"
    after = "a = 1\nc = 4\nb = 2\nif x:\n    d = 5\n"
    assert _old_lines(before, after) == {1: {1}, 3: {2}, 4: {3}, 5: {3}}
