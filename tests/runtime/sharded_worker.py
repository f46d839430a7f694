"""One rank of a 2-process gloo job saving and loading an FSDP2 model with DCP.

Launched like torchrun (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT in the
environment) by ``rt_procs.launch_ranks``. Writes OUT/rank<r>.json.

usage: sharded_worker.py OUT
"""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta

import torch
import torch.distributed as dist
from torch.distributed.fsdp import fully_shard

import ckptlint.runtime as rt


def build() -> torch.nn.Module:
    """Two Linear layers, each its own FSDP2 unit, under a root unit: DTensor parameters."""
    model = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    fully_shard(model[0])
    fully_shard(model[2])
    return fully_shard(model)


def train(model: torch.nn.Module, opt: torch.optim.Optimizer, rank: int) -> None:
    g = torch.Generator().manual_seed(rank)  # each rank its own batch, as under a sampler
    for _ in range(2):
        opt.zero_grad()
        loss = model(torch.randn(8, 6, generator=g)).pow(2).mean()
        loss.backward()
        opt.step()


def full_params(model: torch.nn.Module) -> list[torch.Tensor]:
    """Every parameter gathered whole (a collective: every rank calls it)."""
    return [p.full_tensor().detach().clone() for p in model.parameters()]


def local_exp_avg(opt: torch.optim.Optimizer) -> list[torch.Tensor]:
    return [opt.state[p]["exp_avg"].to_local().clone() for p in opt.param_groups[0]["params"]]


def main(out: str) -> None:
    dist.init_process_group("gloo", timeout=timedelta(seconds=20))
    rank = dist.get_rank()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = build()
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    train(model, opt, rank)
    torch.manual_seed(100 + rank)  # each rank its own RNG stream
    mgr = rt.CheckpointManager(os.path.join(out, "ckpt"), keep_last=1, sharded=True)
    mgr.save(model=model, optimizer=opt, epoch=0)
    mgr.save(model=model, optimizer=opt, epoch=1, note="fsdp2")  # retention drops epoch 0
    expected = torch.rand(5).tolist()  # what this rank draws next, from the saved state
    saved, saved_exp_avg = full_params(model), local_exp_avg(opt)
    torch.rand(50)

    torch.manual_seed(7)
    fresh = build()
    with torch.no_grad():
        for p in fresh.parameters():
            p.add_(1.0 + rank)  # so that a load that does nothing fails the comparison
    opt2 = torch.optim.Adam(fresh.parameters(), lr=0.05)
    info = mgr.resume(model=fresh, optimizer=opt2)
    got = torch.rand(5).tolist()
    loaded = full_params(fresh)
    result = {
        "rank": rank, "next_epoch": info.next_epoch, "extra": info.extra,
        "world_size": info.meta["world_size"], "path": info.path,
        "param_type": type(next(fresh.parameters())).__name__,
        "params_equal": all(torch.equal(a, b) for a, b in zip(saved, loaded)),
        "exp_avg_equal": all(torch.equal(a, b) for a, b in zip(saved_exp_avg, local_exp_avg(opt2))),
        "adam_step": float(opt2.state[opt2.param_groups[0]["params"][0]]["step"]),
        "own_rng": got == expected, "draws": got,
        "params": torch.cat([p.flatten() for p in loaded]).tolist(),
        "files": sorted(os.listdir(os.path.join(out, "ckpt"))),
    }
    with open(os.path.join(out, f"rank{rank}.json.part"), "w") as fh:
        json.dump(result, fh)
    os.replace(os.path.join(out, f"rank{rank}.json.part"), os.path.join(out, f"rank{rank}.json"))
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
