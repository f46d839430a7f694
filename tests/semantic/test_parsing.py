"""The lint's parse (`parsing.parse_module`) gives libcst's trees, and libcst's validation
stays on for every node built outside a parse."""

from __future__ import annotations

import threading

import libcst as cst
import pytest

from ckptlint.semantic.core import parsing
from ckptlint.semantic.core.parsing import SKIPS_VALIDATION, parse_module

from samples import CASES, IDS  # noqa: E402


def test_the_installed_libcst_is_the_one_the_shortcut_was_written_for() -> None:
    # Fails after a libcst upgrade that changes the hook: parses then validate again (correct,
    # slower), and this test says so.
    assert SKIPS_VALIDATION


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_same_tree_as_libcst(case) -> None:
    _, code = case
    ours, theirs = parse_module(code), cst.parse_module(code)
    assert ours.deep_equals(theirs)
    assert ours.code == code


def test_validation_is_back_after_a_parse() -> None:
    parse_module("x = 1\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not an identifier")


def test_a_syntax_error_is_libcsts_and_leaves_validation_on() -> None:
    with pytest.raises(cst.ParserSyntaxError):
        parse_module("def f(:\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("1x")


def test_a_parse_waits_for_one_under_way() -> None:
    # The hook is swapped under a lock: a second parse never restores it while the first runs.
    parsing._LOCK.acquire()
    try:
        done = threading.Event()
        thread = threading.Thread(target=lambda: (parse_module("y = 2\n"), done.set()))
        thread.start()
        assert not done.wait(0.2)
    finally:
        parsing._LOCK.release()
    thread.join(10)
    assert done.is_set()
    with pytest.raises(cst.CSTValidationError):
        cst.Name("")
