"""CKPT302 missing-barrier: positives, the silences the issue lists, and the barrier fix."""

from __future__ import annotations

import libcst as cst
from support import dedent, fix, lint

from ckptlint.rules.distributed.ckpt302_missing_barrier import MissingBarrier

RULES = [MissingBarrier]
HEADER = """
import torch
import torch.distributed as dist
"""


def codes(body: str) -> list:
    return [d.code for d in lint(HEADER + dedent(body), rules=RULES)]


def test_guarded_checkpoint_without_barrier_fires() -> None:
    assert codes(
        """
        def main(model):
            dist.init_process_group("nccl")
            if dist.get_rank() == 0:
                torch.save({"model": model.state_dict()}, "ckpt.pt")
            evaluate(torch.load("ckpt.pt"))
        """
    ) == ["CKPT302"]


def test_barrier_after_if_else_is_silent() -> None:
    assert codes(
        """
        def main(model):
            dist.init_process_group("nccl")
            if dist.get_rank() == 0:
                torch.save({"model": model.state_dict()}, "ckpt.pt")
            else:
                pass
            dist.barrier()
        """
    ) == []


def test_barrier_inside_the_guard_does_not_count() -> None:
    assert codes(
        """
        def main(model):
            dist.init_process_group("nccl")
            if dist.get_rank() == 0:
                torch.save({"model": model.state_dict()}, "ckpt.pt")
                dist.barrier()
            model.load_state_dict(torch.load("ckpt.pt")["model"])
        """
    ) == ["CKPT302"]


def test_a_save_no_rank_reads_back_is_silent() -> None:
    # Catalog revision 2: CKPT302 needs a reader on the other ranks.
    assert codes(
        """
        def main(model):
            dist.init_process_group("nccl")
            if dist.get_rank() == 0:
                torch.save({"model": model.state_dict()}, "ckpt.pt")
            if dist.get_rank() == 0:
                evaluate(torch.load("ckpt.pt"))  # rank 0 reads it: it wrote it
            evaluate(torch.load("other.pt"))
        """
    ) == []


def test_reader_in_a_later_iteration_or_in_the_caller() -> None:
    assert codes(
        """
        def main(model, path):
            dist.init_process_group("nccl")
            for epoch in range(3):
                if epoch:
                    model.load_state_dict(torch.load(path)["model"])
                if dist.get_rank() == 0:
                    torch.save({"model": model.state_dict()}, path)
        """
    ) == ["CKPT302"]


def test_non_checkpoint_tensors_are_silent() -> None:
    assert codes(
        """
        dist.init_process_group("nccl")
        if dist.get_rank() == 0:
            torch.save(features, "features.pt")
            torch.save({"acc": acc, "preds": preds}, "eval.pt")
        """
    ) == []


def test_unguarded_or_not_distributed_is_silent() -> None:
    assert codes('dist.init_process_group("nccl")\ntorch.save({"m": model.state_dict()}, "a.pt")\n') == []
    assert codes('if rank == 0:\n    torch.save({"m": model.state_dict()}, "a.pt")\n') == []


def test_early_return_guard_barrier_in_caller() -> None:
    def saver(after_call: str) -> str:
        return (
            "def save(model):\n"
            "    if not is_main_process():\n"
            "        return\n"
            '    torch.save(model.state_dict(), "ckpt.pt")\n'
            "\n"
            "def main(model):\n"
            '    dist.init_process_group("nccl")\n'
            "    save(model)\n" + after_call
        )

    reader = '    model.load_state_dict(torch.load("ckpt.pt"))\n'
    assert codes(saver("    dist.barrier()\n" + reader)) == []
    assert codes(saver("")) == []  # nothing reads it back
    (found,) = lint(HEADER + saver(reader), rules=RULES)
    assert found.fix is None  # no fix with an early-return guard


def test_barrier_fix_parses_is_idempotent_and_adds_one_line() -> None:
    source = HEADER + dedent(
        """
        def main(model):
            dist.init_process_group("nccl")
            for epoch in range(3):
                if dist.get_rank() == 0:  # rank 0 only
                    torch.save({"model": model.state_dict()}, "ckpt.pt")
                elif epoch == 0:
                    print("skip")
                model.load_state_dict(torch.load("ckpt.pt")["model"])

        main(build_model())
        """
    )
    outcome = fix(source, rules=RULES, unsafe=True, table={"runtime": True})
    cst.parse_module(outcome.text)
    assert lint(outcome.text, rules=RULES) == []
    assert fix(outcome.text, rules=RULES, unsafe=True, table={"runtime": True}).applied == 0
    assert outcome.text.count("import ckptlint.runtime") == 1
    assert '            print("skip")\n        ckptlint.runtime.barrier()\n' in outcome.text
    assert len(outcome.text.splitlines()) == len(dedent(source).splitlines()) + 2
    assert fix(source, rules=RULES, unsafe=False, table={}).applied == 0  # unsafe only
