"""Fuzzing the engine: generated programs and mutated real training scripts.

A fixed, small number of derandomized examples runs in the suite (seconds);
`benchmarks/fuzz_campaign.py --examples N` runs the long campaigns.
"""

from __future__ import annotations

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from invariants import check_bytes, check_text, mutate, training_scripts

SCRIPTS = training_scripts()
FAST = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(autouse=True)
def no_prefilter(monkeypatch):
    # Generated code never mentions torch: analyse it anyway.
    monkeypatch.setenv("CKPTLINT_NO_PREFILTER", "1")


@FAST
@given(hypothesmith.from_grammar())
def test_generated_programs(source: str) -> None:
    check_text(source)


@FAST
@given(hypothesmith.from_grammar(), st.sampled_from(SCRIPTS))
def test_generated_code_inside_a_training_script(source: str, script: bytes) -> None:
    check_text(script.decode("utf-8") + "\n" + source)


@settings(max_examples=40, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(SCRIPTS), st.integers(0, 2**32), st.integers(1, 4))
def test_mutated_training_scripts(script: bytes, seed: int, count: int) -> None:
    check_bytes(mutate(script, seed, count))


def test_every_training_script_unmutated() -> None:
    for script in SCRIPTS:
        check_bytes(script)
