"""One rank of a 2-process gloo job (launched like torchrun: RANK, WORLD_SIZE,
MASTER_ADDR, MASTER_PORT in the environment). Writes OUT/rank<r>.json.

usage: ddp_worker.py SCENARIO OUT
  save_load   train a step, save_checkpoint (writes counted), load on every rank
  fail_write  rank 0's write fails (the target is a directory): every rank must raise
  async       asynchronous saves: rank 0 writes, wait() on every rank; a failed background
              write raises at the next save on every rank; SIGUSR1 delivered to rank 1
              only makes every rank's `preempted` true at the same step
"""

from __future__ import annotations

import json
import os
import signal
import sys
from datetime import timedelta

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

import ckptlint.runtime as rt
import ckptlint.runtime.checkpoint as ckpt_mod
import ckptlint.runtime.manager as manager_mod
from rt_procs import listing

WRITES = {"checkpoint": 0, "pointer": 0}


def _counting(kind: str, real):
    def wrapper(*args, **kwargs):
        WRITES[kind] += 1
        return real(*args, **kwargs)
    return wrapper


ckpt_mod.atomic_save = _counting("checkpoint", ckpt_mod.atomic_save)
manager_mod.atomic_save = _counting("pointer", manager_mod.atomic_save)


def build() -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.Dropout(0.3), torch.nn.Linear(16, 1))


def train(ddp: DDP, opt: torch.optim.Optimizer) -> None:
    g = torch.Generator().manual_seed(0)
    data = TensorDataset(torch.randn(64, 6, generator=g), torch.randn(64, 1, generator=g))
    sampler = DistributedSampler(data, shuffle=True, seed=0)
    sampler.set_epoch(0)
    for x, y in DataLoader(data, batch_size=8, sampler=sampler):
        opt.zero_grad()
        torch.nn.functional.mse_loss(ddp(x), y).backward()
        opt.step()


def save_load(rank: int, out: str) -> dict:
    torch.manual_seed(0)
    ddp = DDP(build())
    opt = torch.optim.SGD(ddp.parameters(), lr=0.05, momentum=0.9)
    torch.manual_seed(100 + rank)  # each rank its own stream (its own dropout masks)
    train(ddp, opt)
    path = os.path.join(out, "ckpt.pt")
    rt.save_checkpoint(path, model=ddp, optimizer=opt, epoch=1, note="ddp")
    visible = os.path.exists(path)
    writes_for_save = WRITES["checkpoint"]
    expected = torch.rand(5).tolist()  # what this rank draws next, from the saved state
    saved = [p.detach().clone() for p in ddp.module.parameters()]
    momentum = [opt.state[p]["momentum_buffer"].clone() for p in ddp.parameters()]
    torch.rand(50)
    fresh = DDP(build())
    with torch.no_grad():  # after the wrap, so DDP's broadcast cannot hide a no-op load
        for p in fresh.parameters():
            p.add_(1.0 + rank)
    opt2 = torch.optim.SGD(fresh.parameters(), lr=0.05, momentum=0.9)
    info = rt.load_checkpoint(path, model=fresh, optimizer=opt2)
    got = torch.rand(5).tolist()
    loaded = [p.detach() for p in fresh.module.parameters()]
    mgr = rt.CheckpointManager(os.path.join(out, "mgr"), keep_last=1)
    for epoch in range(2):
        mgr.save(model=fresh, optimizer=opt2, epoch=epoch)
    return {
        "visible_after_save": visible, "writes_for_save": writes_for_save, "next_epoch": info.next_epoch,
        "equal_to_saved": all(torch.equal(a, b) for a, b in zip(saved, loaded)),
        "momentum_restored": all(torch.equal(m, opt2.state[p]["momentum_buffer"])
                                 for m, p in zip(momentum, fresh.parameters())),
        "own_rng": got == expected, "draws": got,
        "params": torch.cat([p.flatten() for p in loaded]).tolist(),
        "latest": mgr.latest(), "mgr_files": listing(os.listdir(os.path.join(out, "mgr"))),
    }


def fail_write(rank: int, out: str) -> dict:
    ddp = DDP(build())
    try:
        rt.save_checkpoint(os.path.join(out, "a_directory"), model=ddp, epoch=0)
    except Exception as exc:
        return {"error": type(exc).__name__, "message": str(exc)}
    return {"error": None}


def asynchronous(rank: int, out: str) -> dict:
    ddp = DDP(build())
    mgr = rt.CheckpointManager(os.path.join(out, "mgr"), asynchronous=True, keep_last=1)
    watch = mgr.save_on_signal(signals=(signal.SIGUSR1,))
    handle = mgr.save(model=ddp, epoch=0)
    mgr.wait()
    visible = os.path.exists(handle.path)
    rt.save_checkpoint(os.path.join(out, "a_directory"), model=ddp, epoch=1, asynchronous=True)
    try:
        rt.save_checkpoint(os.path.join(out, "after.pt"), model=ddp, epoch=2)
        next_save_error = None
    except Exception as exc:
        next_save_error = type(exc).__name__
    preempted_at = None
    for step in range(10):
        if rank == 1 and step == 3:
            os.kill(os.getpid(), signal.SIGUSR1)  # only this rank is signalled
        if mgr.preempted:
            preempted_at = step
            path = mgr.save(model=ddp, epoch=0, step=step, epoch_complete=False)
            break
    mgr.close()
    return {"visible_after_wait": visible, "next_save_error": next_save_error,
            "preempted_at": preempted_at, "signal": watch.received,
            "preemption_save_is_sync": isinstance(path, str),
            "resumed": rt.load_checkpoint(path, model=build()).next_epoch}


def main(scenario: str, out: str) -> None:
    dist.init_process_group("gloo", timeout=timedelta(seconds=20))
    rank = dist.get_rank()
    torch.set_num_threads(1)
    result = {"save_load": save_load, "fail_write": fail_write,
              "async": asynchronous}[scenario](rank, out)
    result.update(rank=rank, writes=dict(WRITES),
                  tmp_files=[n for n in os.listdir(out) if n.endswith(".tmp")])
    with open(os.path.join(out, f"rank{rank}.json.part"), "w") as fh:
        json.dump(result, fh)
    os.replace(os.path.join(out, f"rank{rank}.json.part"), os.path.join(out, f"rank{rank}.json"))
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
