"""CKPT304 load-on-one-rank-only: training state restored under a rank guard."""

from __future__ import annotations

from support import dedent, lint

from ckptlint.rules.distributed.ckpt304_load_on_one_rank_only import LoadOnOneRankOnly

RULES = [LoadOnOneRankOnly]
HEADER = """
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
dist.init_process_group("nccl")
"""


def codes(body: str) -> list:
    return [d.code for d in lint(HEADER + dedent(body), rules=RULES)]


def test_scheduler_and_scaler_state_under_guard_fire() -> None:
    assert codes(
        """
        scheduler = torch.optim.lr_scheduler.StepLR(opt, 10)
        scaler = torch.amp.GradScaler("cuda")
        if dist.get_rank() == 0:
            ckpt = torch.load("last.pt", map_location="cpu")
            scheduler.load_state_dict(ckpt["scheduler"])
            scaler.load_state_dict(ckpt["scaler"])
        """
    ) == ["CKPT304"]


def test_rank_zero_weights_before_the_ddp_wrap_are_silent() -> None:
    assert codes(
        """
        model = Net()
        if args.resume and dist.get_rank() == 0:
            model.load_state_dict(torch.load(args.resume, map_location="cpu")["model"])
        model = DDP(model)
        """
    ) == []


def test_weights_after_the_wrap_on_resume_fire() -> None:
    assert codes(
        """
        model = DDP(Net())
        if args.resume and dist.get_rank() == 0:
            ckpt = torch.load(args.resume, map_location="cpu")
            model.load_state_dict(ckpt["model"])
        """
    ) == ["CKPT304"]


def test_evaluation_only_load_under_guard_is_silent() -> None:
    assert codes(
        """
        model = DDP(Net())
        if dist.get_rank() == 0:
            model.module.load_state_dict(torch.load("best.pt", map_location="cpu"))
            evaluate(model)
        """
    ) == []


def test_load_on_every_rank_and_non_distributed_are_silent() -> None:
    assert codes(
        """
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        ckpt = torch.load("last.pt", map_location="cpu")
        opt.load_state_dict(ckpt["optimizer"])
        """
    ) == []
    plain = 'import torch\nopt = torch.optim.SGD(p)\nif rank == 0:\n    opt.load_state_dict(torch.load("a.pt")["optimizer"])\n'
    assert lint(plain, rules=RULES) == []


def test_weights_of_a_model_wrapped_in_one_branch_only_are_silent() -> None:
    # whether the model loaded on rank 0 is the DDP-wrapped one is unknown (its wrap is mixed)
    assert codes(
        """
        model = Net()
        if args.distributed:
            model = DDP(model)
        if args.resume and dist.get_rank() == 0:
            model.load_state_dict(torch.load(args.resume, map_location="cpu")["model"])
        """
    ) == []
