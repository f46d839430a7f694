"""A training job that saves when preempted (SIGTERM) and resumes from that step.

usage: preempt_job.py DIR OUT [--pause-after STEP --ready FILE] [--resume]

3 epochs x 12 batches: Dropout, a shuffled DataLoader whose generator comes
from make_generator, SGD with momentum, OneCycleLR stepped per batch. An
asynchronous CheckpointManager saves at each epoch end. Under
``save_on_signal()``, each step boundary checks ``manager.preempted``; when
set, the job saves once (``epoch_complete=False``, with how many batches of
the epoch are done and the loader generator's state at the epoch start),
prints ``PREEMPTED step=N`` and exits 0. ``--resume`` restores the newest
checkpoint; a mid-epoch one re-draws the same epoch order and skips the
batches already done. OUT gets the losses and parameters at the end.

``--pause-after STEP`` makes the test's signal land at a known point: after
training step STEP the job creates READY and waits (inside that step, before
its boundary) until the signal arrives; the straight run never pauses, and
waiting draws no random number.
"""

from __future__ import annotations

import argparse
import sys
import time

import torch
from torch.utils.data import DataLoader, TensorDataset

import ckptlint.runtime as rt
from ckptlint.runtime.preemption import SignalWatch

EPOCHS, SAMPLES, BATCH = 3, 192, 16


def build():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Dropout(0.3),
                                torch.nn.Linear(32, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.05,
                                                    total_steps=EPOCHS * SAMPLES // BATCH)
    g = torch.Generator().manual_seed(1234)
    x = torch.randn(SAMPLES, 8, generator=g)
    data = TensorDataset(x, x @ torch.randn(8, 1, generator=g))
    loader = DataLoader(data, batch_size=BATCH, shuffle=True,
                        generator=rt.make_generator(7, name="train_loader"))
    return model, optimizer, scheduler, loader


def pause_until_signalled(watch: SignalWatch, ready: str) -> None:
    open(ready, "w").close()
    end = time.monotonic() + 60
    while not watch.requested:
        if time.monotonic() > end:
            sys.exit("no signal arrived")
        time.sleep(0.01)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("out")
    p.add_argument("--resume", action="store_true")
    p.add_argument("--pause-after", type=int, default=None)
    p.add_argument("--ready", default=None)
    args = p.parse_args()
    torch.set_num_threads(1)
    rt.seed_everything(0)
    model, optimizer, scheduler, loader = build()
    parts = {"model": model, "optimizer": optimizer, "scheduler": scheduler}
    manager = rt.CheckpointManager(args.dir, keep_last=2, asynchronous=True)
    start, done, step, losses, epoch_start = 0, 0, 0, [], None
    if args.resume:
        info = manager.resume(**parts)
        start, step, losses = info.next_epoch, info.step, list(info.extra["losses"])
        if not info.epoch_complete:  # re-draw this epoch's order, skip what was done
            done, epoch_start = info.extra["batches_done"], info.extra["epoch_start_generator"]
        print(f"RESUMED epoch={start} step={step} skipping={done}", flush=True)
    with manager, manager.save_on_signal() as watch:
        for epoch in range(start, EPOCHS):
            if epoch_start is not None:
                loader.generator.set_state(epoch_start)
            epoch_start = loader.generator.get_state()
            for index, (x, y) in enumerate(loader):
                if index < done:
                    continue
                optimizer.zero_grad()
                loss = torch.nn.functional.mse_loss(model(x), y)
                loss.backward()
                optimizer.step()
                scheduler.step()
                losses.append(loss.item())
                step += 1
                if step == args.pause_after:
                    pause_until_signalled(watch, args.ready)
                if manager.preempted:  # the step boundary
                    manager.save(**parts, epoch=epoch, step=step, epoch_complete=False,
                                 batches_done=index + 1, epoch_start_generator=epoch_start,
                                 losses=losses)
                    print(f"PREEMPTED step={step}", flush=True)
                    return
            done, epoch_start = 0, None
            manager.save(**parts, epoch=epoch, step=step, losses=losses)
    torch.save({"losses": losses, "model": model.state_dict(),
                "optimizer": optimizer.state_dict(), "lr": scheduler.get_last_lr()}, args.out)


if __name__ == "__main__":
    main()
