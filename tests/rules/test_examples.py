"""Every rule's inline examples and documented examples, run as tests.

For each INVALID example with `fixed=` the harness checks STYLE.md's fix
invariants: the result parses and equals `fixed`, the tier is right (a
safe-only pass does not produce an UNSAFE example's result), the fix
leaves no fixable finding of that rule behind, and a second pass changes
nothing.
"""

from __future__ import annotations

import re
from typing import Dict, List, Tuple, Type

import libcst as cst
import pytest
from support import fix, lint

from ckptlint.docs import docstring
from ckptlint.fixes.model import Applicability
from ckptlint.rules.base import FixAvailability, Invalid, Rule, Valid
from ckptlint.rules.registry import RULES


def _cases(kind: str) -> List[Tuple[Type[Rule], int, object]]:
    return [
        (rule, index, example)
        for rule in RULES
        for index, example in enumerate(getattr(rule, kind))
    ]


def _id(case: Tuple[Type[Rule], int, object]) -> str:
    return f"{case[0].code}-{case[1]}"


def _where(example: object) -> Dict[str, object]:
    """How an example is linted: its settings, and for a multi-module example
    the project it is the `train.py` of."""
    modules = getattr(example, "modules")
    return {"table": getattr(example, "settings"), "modules": modules, "path": "train.py" if modules else "example.py"}


@pytest.mark.parametrize("case", _cases("VALID"), ids=_id)
def test_valid_example_is_silent(case: Tuple[Type[Rule], int, Valid]) -> None:
    rule, _, example = case
    assert lint(example.source, rules=[rule], **_where(example)) == []


@pytest.mark.parametrize("case", _cases("INVALID"), ids=_id)
def test_invalid_example_fires(case: Tuple[Type[Rule], int, Invalid]) -> None:
    rule, _, example = case
    found = lint(example.source, rules=[rule], **_where(example))
    assert found, f"{rule.code} did not fire"
    assert {d.code for d in found} == {rule.code}
    for diagnostic in found:
        if rule.fix_availability is FixAvailability.NEVER:
            assert diagnostic.fix is None
        if rule.fix_availability is FixAvailability.ALWAYS:
            assert diagnostic.fix is not None
        if diagnostic.fix is not None:
            assert diagnostic.fix.title, "every fix has a title"


@pytest.mark.parametrize(
    "case", [c for c in _cases("INVALID") if c[2].fixed is not None], ids=_id
)
def test_invalid_example_fix(case: Tuple[Type[Rule], int, Invalid]) -> None:
    rule, _, example = case
    unsafe = example.applicability is Applicability.UNSAFE
    outcome = fix(example.source, rules=[rule], unsafe=unsafe, **_where(example))
    assert outcome.error is None
    assert outcome.text == example.fixed_source
    cst.parse_module(outcome.text)  # 1. parses
    leftover = [d for d in outcome.outcome.diagnostics if d.fix and d.fix.applicability.allowed(unsafe)]
    assert leftover == []  # 2. nothing fixable of this rule remains
    again = fix(outcome.text, rules=[rule], unsafe=unsafe, **_where(example))
    assert again.text == outcome.text and again.applied == 0  # 3. idempotent
    if unsafe:  # the declared tier is the one that produces the result
        assert fix(example.source, rules=[rule], **_where(example)).text != example.fixed_source


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_fix_metadata_is_consistent(rule: Type[Rule]) -> None:
    if rule.fix_availability is not FixAvailability.NEVER:
        assert rule.fix_title
        assert rule.fix_class != "none"
    else:
        assert rule.fix_class == "none"
    if "unsafe" in rule.fix_class or any(
        e.applicability is Applicability.UNSAFE and e.fixed is not None for e in rule.INVALID
    ):
        assert "## Fix safety" in docstring(rule)


def _doc_blocks(rule: Type[Rule]) -> Tuple[str, str]:
    text = docstring(rule)
    example = text.split("## Example", 1)[1]
    bad = re.search(r"```python\n(.*?)```", example, re.S)
    good_part = example.split("Use instead:", 1)[1]
    good = re.search(r"```python\n(.*?)```", good_part, re.S)
    assert bad and good, f"{rule.code}: docstring needs an Example and a Use instead block"
    return bad.group(1), good.group(1)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_documented_examples(rule: Type[Rule]) -> None:
    bad, good = _doc_blocks(rule)
    assert [d.code for d in lint(bad, rules=[rule])], "the documented bad example must fire"
    assert lint(good, rules=[rule]) == [], "the documented good example must be silent"
