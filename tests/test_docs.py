"""The rule documents in rules/ are generated from the rule classes and never drift."""

from __future__ import annotations

import os

from support import REPO

from ckptlint.docs import render, write_all
from ckptlint.rules.registry import RULES


def test_rule_documents_match_the_rule_classes(tmp_path) -> None:
    rules_dir = os.path.join(REPO, "rules")
    drifted = write_all(rules_dir, check=True)
    assert drifted == [], "run `python -m ckptlint.docs` and commit the result"


def test_rule_metadata_table_matches_the_rule_classes() -> None:
    from ckptlint.docs import write_metadata
    from ckptlint.rules.info import RuleInfo
    from ckptlint.rules.metadata import RULES as INFOS

    assert write_metadata(check=True) == [], "run `python -m ckptlint.docs` and commit the result"
    assert INFOS == tuple(RuleInfo.of(rule) for rule in RULES)
    assert all(info.load() is rule for info, rule in zip(INFOS, RULES))


def test_every_rule_has_a_document_and_nothing_else_is_there() -> None:
    names = sorted(f for f in os.listdir(os.path.join(REPO, "rules")) if f.endswith(".md"))
    assert names == sorted(f"{rule.code}.md" for rule in RULES)


def test_render_has_the_sections_users_need() -> None:
    for rule in RULES:
        text = render(rule)
        assert text.startswith(f"# {rule.code} {rule.name}\n")
        for heading in ("## What it does", "## Why is this bad?", "## Example", "Use instead:"):
            assert heading in text


def test_readme_rule_table_matches_the_registry() -> None:
    from ckptlint.docs import write_readme_table

    assert write_readme_table(check=True) == [], "run `python -m ckptlint.docs` and commit README.md"
