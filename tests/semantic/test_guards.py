"""Rank guards, main-process flags and barriers (semantic/guards.py)."""

from __future__ import annotations

import libcst as cst
import pytest
from support import build_model, dedent

from ckptlint.config.settings import ProjectSettings
from ckptlint.semantic.model import SemanticModel


def build(code: str) -> SemanticModel:
    return build_model(code)


def save_guard(code: str, project: ProjectSettings = ProjectSettings()):  # type: ignore[no-untyped-def]
    model = build_model(code, project)
    (site,) = model.saves.sites
    return model, model.guards.guard_of(site.call)


@pytest.mark.parametrize(
    "test",
    [
        "dist.get_rank() == 0",
        "0 == rank",
        "args.local_rank in [-1, 0]",
        "RANK in {-1, 0}",
        "not rank",
        "rank % ngpus == 0",
        "args.rank % ngpus_per_node == 0",
        "is_main_process()",
        "utils.is_main_process()",
        "accelerator.is_main_process",
        "trainer.is_global_zero",
        "self.global_rank == 0",
        "int(os.environ['RANK']) == 0",
        "local_rank <= 0",
        "rank == 0 and epoch % 5 == 0",
        "not args.distributed or dist.get_rank() == 0",
        "not args.multiprocessing_distributed or (args.multiprocessing_distributed and args.rank % ngpus_per_node == 0)",
        "world_size == 1 or rank == 0",
    ],
)
def test_rank_tests(test: str) -> None:
    model, guard = save_guard(
        f"""
        import os
        import torch
        import torch.distributed as dist
        if {test}:
            torch.save(state, "ckpt.pt")
        """
    )
    assert guard is not None and guard.kind == "if"


@pytest.mark.parametrize("test", ["epoch == 0", "rank == 1", "args.save", "rank == 0 or epoch == 0", "world_size == 0"])
def test_not_rank_tests(test: str) -> None:
    _, guard = save_guard(
        f"""
        import torch
        if {test}:
            torch.save(state, "ckpt.pt")
        """
    )
    assert guard is None


def test_same_file_flag_is_a_guard() -> None:
    _, guard = save_guard(
        """
        import torch
        master_process = ddp_rank == 0
        if master_process:
            torch.save(state, "ckpt.pt")
        """
    )
    assert guard is not None


def test_else_of_negation() -> None:
    _, guard = save_guard(
        """
        import torch
        if rank != 0:
            pass
        else:
            torch.save(state, "ckpt.pt")
        """
    )
    assert guard is not None and guard.kind == "else"


@pytest.mark.parametrize("exit_statement", ["return", "raise SystemExit", "sys.exit(0)"])
def test_early_exit_on_negation(exit_statement: str) -> None:
    _, guard = save_guard(
        f"""
        import sys
        import torch
        def save(model, rank):
            if rank != 0:
                {exit_statement}
            torch.save(model.state_dict(), "ckpt.pt")
        """
    )
    assert guard is not None and guard.kind == "early_return"


def test_early_return_in_another_function_does_not_count() -> None:
    _, guard = save_guard(
        """
        import torch
        def other(rank):
            if rank != 0:
                return
        def save():
            torch.save({}, "ckpt.pt")
        """
    )
    assert guard is None


def test_decorator_and_guarded_callers() -> None:
    _, guard = save_guard(
        """
        import torch
        from lightning.pytorch.utilities import rank_zero_only
        @rank_zero_only
        def save():
            torch.save({}, "ckpt.pt")
        """
    )
    assert guard is not None and guard.kind == "decorator"
    _, guard = save_guard(
        """
        import torch
        def save():
            torch.save({}, "ckpt.pt")
        def main(rank):
            if rank == 0:
                save()
        """
    )
    assert guard is not None and guard.kind == "caller"


def test_project_rank_guards_setting() -> None:
    code = """
        import torch
        if hvd_is_chief():
            torch.save({}, "ckpt.pt")
        """
    assert save_guard(code)[1] is None
    assert save_guard(code, ProjectSettings(rank_guards=("mypkg.hvd_is_chief",)))[1] is not None


def barrier_after_guard(code: str) -> bool:
    model = build(code)
    (site,) = model.saves.sites
    guards = model.guards
    guard = guards.guard_of(site.call)
    assert guard is not None
    return guards.barrier_after(guard.statement)


@pytest.mark.parametrize(
    "barrier",
    [
        "dist.barrier()",
        "torch.distributed.barrier()",
        "barrier()",
        "accelerator.wait_for_everyone()",
        "ckptlint.runtime.barrier()",
        "dist.all_reduce(t)",
        "dist.broadcast_object_list(objs, src=0)",
        "sync_helper()",
    ],
)
def test_barriers(barrier: str) -> None:
    assert barrier_after_guard(
        f"""
        import torch
        import torch.distributed as dist
        from torch.distributed import barrier
        import ckptlint.runtime
        def sync_helper():
            dist.barrier()
        def main(rank):
            if rank == 0:
                torch.save({{}}, "ckpt.pt")
            {barrier}
        """
    )


def test_no_barrier_and_cuda_synchronize_is_not_one() -> None:
    assert not barrier_after_guard(
        """
        import torch
        def main(rank):
            dist.barrier()
            if rank == 0:
                torch.save({}, "ckpt.pt")
            torch.cuda.synchronize()
        """
    )


def test_collective_earlier_in_the_enclosing_loop_counts() -> None:
    assert barrier_after_guard(
        """
        import torch
        import torch.distributed as dist
        def main(rank):
            for epoch in range(3):
                dist.all_reduce(loss)
                if rank == 0:
                    torch.save({}, "ckpt.pt")
        """
    )


def test_mentions_rank() -> None:
    model = build(
        """
        import torch
        path = f"ckpt_{rank}.pt"
        torch.save({}, path)
        torch.save({}, f"rng{dist.get_rank()}.pt")
        torch.save({}, "ckpt.pt")
        """
    )
    guards = model.guards
    found = [guards.mentions_rank(s.path, s.call) for s in model.saves.sites]
    assert found == [True, True, False]
