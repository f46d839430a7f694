"""CKPT303 sampler-epoch-not-set: positives, the silences the issue lists, and the fix."""

from __future__ import annotations

import libcst as cst
from support import dedent, fix, lint

from ckptlint.rules.distributed.ckpt303_sampler_epoch_not_set import SamplerEpochNotSet

RULES = [SamplerEpochNotSet]
HEADER = "from torch.utils.data import DataLoader, DistributedSampler\n"


def codes(body: str) -> list:
    return [d.code for d in lint(HEADER + dedent(body), rules=RULES)]


LOOP = """
    sampler = DistributedSampler(ds{args})
    loader = DataLoader(ds, batch_size=8, sampler=sampler)
    for epoch in range(start_epoch, epochs):
        {first}
        for batch in loader:
            step(batch)
    """


def test_missing_set_epoch_fires_at_the_epoch_loop() -> None:
    (found,) = lint(HEADER + dedent(LOOP.format(args="", first="pass")), rules=RULES)
    assert found.code == "CKPT303" and found.span.line == 4


def test_shuffle_false_is_silent() -> None:
    assert codes(LOOP.format(args=", shuffle=False", first="pass")) == []
    assert codes(LOOP.format(args=", shuffle=args.shuffle", first="pass")) == []  # cannot tell


def test_set_epoch_through_loader_sampler_is_silent() -> None:
    assert codes(LOOP.format(args="", first="loader.sampler.set_epoch(epoch)")) == []


def test_set_epoch_in_a_called_helper_is_silent() -> None:
    assert codes(
        """
        def run_epoch(loader, epoch):
            loader.sampler.set_epoch(epoch)
            for b in loader:
                step(b)
        sampler = DistributedSampler(ds)
        loader = DataLoader(ds, sampler=sampler)
        for epoch in range(3):
            run_epoch(loader, epoch)
        """
    ) == []


def test_loader_built_elsewhere_is_silent() -> None:
    assert codes(
        """
        loader = build_loader()
        for epoch in range(3):
            for b in loader:
                step(b)
        """
    ) == []


def test_fix_is_safe_parses_and_is_idempotent() -> None:
    source = HEADER + dedent(LOOP.format(args="", first="# train"))
    outcome = fix(source, rules=RULES)
    cst.parse_module(outcome.text)
    assert "    sampler.set_epoch(epoch)\n    # train\n" in outcome.text
    assert lint(outcome.text, rules=RULES) == []
    assert fix(outcome.text, rules=RULES).applied == 0
    assert len(outcome.text.splitlines()) == len(source.splitlines()) + 1


def test_no_fix_without_an_integer_epoch_variable() -> None:
    (found,) = lint(
        HEADER
        + dedent(
            """
            sampler = DistributedSampler(ds)
            loader = DataLoader(ds, sampler=sampler)
            for epoch in schedule:
                for b in loader:
                    step(b)
            """
        ),
        rules=RULES,
    )
    assert found.fix is None
