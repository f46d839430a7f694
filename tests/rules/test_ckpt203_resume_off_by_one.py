"""CKPT203 resume-off-by-one: positives, the silences the issue lists, and the `+ 1` fix."""

from __future__ import annotations

import libcst as cst
from support import dedent, fix, lint

from ckptlint.rules.loading.ckpt203_resume_off_by_one import ResumeOffByOne

RULES = [ResumeOffByOne]

TEMPLATE = """
import torch

def main(args, model, loader):
    start_epoch = 0
    if args.resume:
        checkpoint = torch.load(args.resume, map_location="cpu")
        model.load_state_dict(checkpoint["model"])
        start_epoch = {read}
    for epoch in range({start}, args.epochs):
        for x, y in loader:
            step(x, y)
        {save}
"""
SAVE = 'torch.save({"model": model.state_dict(), "epoch": epoch}, "last.pt")'


def codes(read: str = 'checkpoint["epoch"]', start: str = "start_epoch", save: str = SAVE) -> list:
    return [d.code for d in lint(TEMPLATE.format(read=read, start=start, save=save), rules=RULES)]


def test_raw_read_through_a_branch_fires_at_the_read() -> None:
    (found,) = lint(TEMPLATE.format(read='checkpoint["epoch"]', start="start_epoch", save=SAVE), rules=RULES)
    assert found.code == "CKPT203" and found.span.line == 8


def test_get_with_default_and_int_fire() -> None:
    assert codes(read='checkpoint.get("epoch", 0)') == ["CKPT203"]
    assert codes(read='int(checkpoint["epoch"])') == ["CKPT203"]


def test_resume_code_that_adds_one_is_silent() -> None:
    assert codes(read='checkpoint["epoch"] + 1') == []


def test_range_that_adds_one_is_silent() -> None:
    assert codes(start="start_epoch + 1") == []


def test_save_of_epoch_plus_one_is_silent() -> None:
    assert codes(save=SAVE.replace('"epoch": epoch', '"epoch": epoch + 1')) == []


def test_mid_epoch_save_is_silent() -> None:
    source = TEMPLATE.format(read='checkpoint["epoch"]', start="start_epoch", save="pass").replace(
        "            step(x, y)\n", "            step(x, y)\n            " + SAVE + "\n"
    )
    assert lint(source, rules=RULES) == []


def test_save_side_not_visible_is_silent() -> None:
    assert codes(save="save_checkpoint(model, epoch)") == []


def test_later_increment_is_silent() -> None:
    assert codes(read='checkpoint["epoch"]\n        start_epoch += 1') == []


def test_fix_adds_one_unsafe_idempotent_minimal() -> None:
    source = TEMPLATE.format(read='checkpoint["epoch"]  # resume', start="start_epoch", save=SAVE)
    assert fix(source, rules=RULES).applied == 0  # unsafe only
    outcome = fix(source, rules=RULES, unsafe=True)
    cst.parse_module(outcome.text)
    assert '        start_epoch = checkpoint["epoch"] + 1  # resume\n' in outcome.text
    assert lint(outcome.text, rules=RULES) == []
    assert fix(outcome.text, rules=RULES, unsafe=True).applied == 0
    changed = [a for a, b in zip(dedent(source).splitlines(), outcome.text.splitlines()) if a != b]
    assert len(changed) == 1 and len(dedent(source).splitlines()) == len(outcome.text.splitlines())
