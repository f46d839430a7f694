"""Every suppression form of the catalog's "Selection and suppression" section."""

from __future__ import annotations

import pytest
from support import codes

LOAD = "torch.load('a')"  # fires CKPT201 and CKPT202 (target 2.0)


def run(body: str) -> list:
    return codes("import torch\n" + body)


def test_unsuppressed_baseline() -> None:
    assert run(f"{LOAD}\n") == ["CKPT201", "CKPT202"]


@pytest.mark.parametrize(
    "comment, expected",
    [
        ("# noqa", []),
        ("# NOQA", []),
        ("# noqa: CKPT201", ["CKPT202"]),
        ("# noqa:CKPT201,CKPT202", []),
        ("# noqa: CKPT201 CKPT202", []),
        ("# noqa: E501", ["CKPT201", "CKPT202"]),  # another tool's code
        ("# noqa: E501, CKPT202", ["CKPT201"]),
        ("# noqa: load-without-map-location", ["CKPT201", "CKPT202"]),  # names only in ckptlint comments
        ("# ckptlint: disable=CKPT201", ["CKPT202"]),
        ("# ckptlint: disable=load-without-map-location,CKPT202", []),
        ("# type: ignore  # noqa: CKPT202", ["CKPT201"]),
    ],
)
def test_line_comments(comment: str, expected: list) -> None:
    assert run(f"{LOAD}  {comment}\n") == expected


def test_noqa_inside_a_string_is_not_a_comment() -> None:
    assert run(f"x = {LOAD} or '# noqa'\n") == ["CKPT201", "CKPT202"]


def test_noqa_goes_on_the_first_line_of_a_multiline_call() -> None:
    assert run("x = torch.load(  # noqa: CKPT201\n    'a',\n)\n") == ["CKPT202"]
    # ... and one on another line suppresses nothing, so it is itself reported (CKPT001)
    assert run("x = torch.load(\n    'a',  # noqa: CKPT201\n)\n") == ["CKPT201", "CKPT202", "CKPT001"]


def test_disable_next() -> None:
    assert run(f"# ckptlint: disable-next=CKPT201\n{LOAD}\n{LOAD}\n") == ["CKPT202", "CKPT201", "CKPT202"]


def test_block_disable_lasts_until_the_end_of_the_block() -> None:
    body = (
        "def f():\n"
        "    # ckptlint: disable=load-without-map-location\n"
        f"    {LOAD}\n"
        "    if True:\n"
        f"        {LOAD}\n"
        f"{LOAD}\n"
    )
    assert run(body) == ["CKPT202", "CKPT202", "CKPT201", "CKPT202"]


def test_block_disable_ends_at_enable() -> None:
    body = f"# ckptlint: disable=CKPT202\n{LOAD}\n# ckptlint: enable=CKPT202\n{LOAD}\n"
    assert run(body) == ["CKPT201", "CKPT201", "CKPT202"]


def test_file_level_noqa_in_the_first_comment_block() -> None:
    assert codes(f"#!/usr/bin/env python\n# ckptlint: noqa\nimport torch\n{LOAD}\n") == []


def test_file_level_noqa_later_in_the_file_does_nothing() -> None:
    assert codes(f"import torch\n# ckptlint: noqa\n{LOAD}\n") == ["CKPT201", "CKPT202"]
