"""A tiny but complete training job for the bit-exact resume test.

Randomness everywhere: Dropout, a shuffled DataLoader with 2 workers (whose
dataset draws from numpy, ``random`` and torch), main-process numpy/random
noise on the loss, SGD with momentum, OneCycleLR, and a GradScaler with
bfloat16 autocast. ``--stop-after K`` trains K epochs, saves with
``save_checkpoint`` and exits; ``--resume`` loads it and finishes.

Variants (negative controls; each must break bit-exactness or crash):
  ok             the correct resume
  no_optimizer   optimizer state not restored (momentum buffers lost)
  no_scheduler   scheduler state not restored (the LR schedule restarts)
  no_rng         RNG state not restored
  off_by_one     resumes at the saved epoch instead of epoch + 1
  reseed_loader  the loader's generator is re-seeded instead of restored
"""

from __future__ import annotations

import argparse
import random

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

import ckptlint.runtime as rt

EPOCHS, SAMPLES, BATCH = 4, 192, 16  # 12 batches per epoch, 48 steps
VARIANTS = ("ok", "no_optimizer", "no_scheduler", "no_rng", "off_by_one", "reseed_loader")


class AugDataset(Dataset):
    """Fixed data plus per-item augmentation noise from numpy, random and torch."""

    def __init__(self) -> None:
        g = torch.Generator().manual_seed(1234)
        self.x = torch.randn(SAMPLES, 8, generator=g)
        self.y = self.x @ torch.randn(8, 1, generator=g) + 0.1

    def __len__(self) -> int:
        return SAMPLES

    def __getitem__(self, i: int):
        noise = 0.01 * (np.random.randn() + random.random() + torch.rand(()).item())
        return self.x[i] + float(noise), self.y[i]


def build():
    model = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Dropout(0.3),
                                torch.nn.Linear(32, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.05,
                                                    total_steps=EPOCHS * SAMPLES // BATCH)
    scaler = torch.amp.GradScaler("cpu", growth_interval=3) if hasattr(torch, "amp") else None
    loader = DataLoader(AugDataset(), batch_size=BATCH, shuffle=True, num_workers=2,
                        worker_init_fn=rt.seed_worker,
                        generator=rt.make_generator(7, name="train_loader"))
    return model, optimizer, scheduler, scaler, loader


def train_epoch(model, optimizer, scheduler, scaler, loader, losses) -> None:
    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = torch.nn.functional.mse_loss(model(x).float(), y)
        loss = loss * (1.0 + 0.01 * float(np.random.rand()) + 0.01 * random.random())
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            optimizer.step()
        scheduler.step()
        losses.append(float(loss.item()))


def resume(args, model, optimizer, scheduler, scaler, loader) -> tuple[int, list]:
    v = args.variant
    info = rt.load_checkpoint(args.ckpt, model=model,
                              optimizer=None if v == "no_optimizer" else optimizer,
                              scheduler=None if v == "no_scheduler" else scheduler,
                              scaler=scaler, restore_rng=(v != "no_rng"))
    if v == "reseed_loader":
        loader.generator.manual_seed(7)
    start = info.epoch if v == "off_by_one" else info.next_epoch
    return start, list(info.extra["losses"])


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--variant", choices=VARIANTS, default="ok")
    p.add_argument("--stop-after", type=int, default=None)
    p.add_argument("--resume", action="store_true")
    p.add_argument("--ckpt", required=True)
    p.add_argument("--out", default=None)
    args = p.parse_args()
    torch.set_num_threads(1)
    rt.seed_everything(0)
    model, optimizer, scheduler, scaler, loader = build()
    start, losses = 0, []
    if args.resume:
        start, losses = resume(args, model, optimizer, scheduler, scaler, loader)
    for epoch in range(start, EPOCHS):
        train_epoch(model, optimizer, scheduler, scaler, loader, losses)
        if args.stop_after is not None and epoch + 1 == args.stop_after:
            rt.save_checkpoint(args.ckpt, model=model, optimizer=optimizer, scheduler=scheduler,
                               scaler=scaler, epoch=epoch, losses=losses)
            return  # "the process stops": a new process resumes
    torch.save({"losses": losses, "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scale": scaler.get_scale() if scaler is not None else None,
                "lr": scheduler.get_last_lr()}, args.out)


if __name__ == "__main__":
    main()
