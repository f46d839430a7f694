"""One rank of a 2-process gloo job saving and loading sharded models with DCP.

FSDP2 through CheckpointManager(sharded=True); then FSDP1, DTensor tensor
parallelism and plain DDP through save/load_sharded_checkpoint.

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
from rt_procs import listing


def mlp() -> torch.nn.Sequential:
    return torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))


def build() -> torch.nn.Module:
    """Two Linear layers, each its own FSDP2 unit, under a root unit: DTensor parameters."""
    model = mlp()
    fully_shard(model[0])
    fully_shard(model[2])
    return fully_shard(model)


def build_other(kind: str) -> torch.nn.Module:
    torch.manual_seed(0)
    model = mlp()
    if kind == "fsdp1":
        from torch.distributed.fsdp import FullyShardedDataParallel
        return FullyShardedDataParallel(model, device_id=torch.device("cpu"), use_orig_params=True)
    if kind == "tp":
        from torch.distributed.device_mesh import init_device_mesh
        from torch.distributed.tensor.parallel import (ColwiseParallel, RowwiseParallel,
                                                       parallelize_module)
        mesh = init_device_mesh("cpu", (dist.get_world_size(),))
        return parallelize_module(model, mesh, {"0": ColwiseParallel(), "2": RowwiseParallel()})
    return torch.nn.parallel.DistributedDataParallel(model)


def train(model: torch.nn.Module, opt: torch.optim.Optimizer, rank: int) -> None:
    g = torch.Generator().manual_seed(rank)  # each rank its own batch, as under a sampler
    for _ in range(2):
        opt.zero_grad()
        loss = model(torch.randn(8, 6, generator=g)).pow(2).mean()
        loss.backward()
        opt.step()


def full_params(model: torch.nn.Module) -> list[torch.Tensor]:
    """Every parameter gathered whole (a collective for DTensors: every rank calls it)."""
    return [(p.full_tensor() if hasattr(p, "full_tensor") else p).detach().clone()
            for p in model.parameters()]


def round_trip(kind: str, out: str, rank: int) -> bool:
    """save_sharded_checkpoint, then load into a fresh, shifted model: params and RNG back?"""
    model = build_other(kind)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    train(model, opt, rank)
    torch.manual_seed(200 + rank)
    rt.save_sharded_checkpoint(os.path.join(out, kind), model=model, optimizer=opt, epoch=3)
    expected, saved = torch.rand(3), full_params(model)
    fresh = build_other(kind)
    with torch.no_grad():
        for p in fresh.parameters():
            p.add_(1.0 + rank)
    opt2 = torch.optim.Adam(fresh.parameters(), lr=0.05)
    info = rt.load_sharded_checkpoint(os.path.join(out, kind), model=fresh, optimizer=opt2)
    return (info.next_epoch == 4 and torch.equal(torch.rand(3), expected)
            and all(torch.equal(a, b) for a, b in zip(saved, full_params(fresh)))
            and len(opt2.state) == len(opt.state))


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
        "files": listing(os.listdir(os.path.join(out, "ckpt"))),
        "other_kinds": {kind: round_trip(kind, out, rank) for kind in ("fsdp1", "tp", "ddp")},
    }
    with open(os.path.join(out, f"rank{rank}.json.part"), "w") as fh:
        json.dump(result, fh)
    os.replace(os.path.join(out, f"rank{rank}.json.part"), os.path.join(out, f"rank{rank}.json"))
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
