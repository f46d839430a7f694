"""Checkpoints written the old ways, for the `ckptlint migrate` tests (a uniquely named
module, so that it never clashes with another test folder's helpers).

Each writer saves what a real script of that kind saves, with the problem
`ckptlint inspect` names for it; ``outputs`` runs a model on fixed inputs so
that a test can compare the original model with one loaded from the migrated
file.
"""

from __future__ import annotations

import argparse
import pathlib
import random
import types
from typing import Any, Callable, Dict

import numpy as np
import torch


class Net(torch.nn.Module):
    """A model class a whole-model pickle refers to (importable as migrate_support.Net)."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = torch.nn.Linear(6, 16)
        self.norm = torch.nn.BatchNorm1d(16)
        self.head = torch.nn.Linear(16, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.relu(self.norm(self.encoder(x))))


def trained() -> tuple[Net, torch.optim.Optimizer]:
    torch.manual_seed(0)
    model = Net()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    for _ in range(2):
        optimizer.zero_grad()
        model(torch.randn(8, 6)).sum().backward()
        optimizer.step()
    return model.eval(), optimizer


def outputs(model: torch.nn.Module) -> torch.Tensor:
    with torch.no_grad():
        return model.eval()(torch.randn(5, 6, generator=torch.Generator().manual_seed(3)))


def fresh() -> Net:
    torch.manual_seed(123)  # different weights: a load that does nothing is caught
    return Net().eval()


def _prefixed(state: Dict[str, Any], prefix: str) -> Dict[str, Any]:
    return {prefix + key: value for key, value in state.items()}


def _training(model: Net, optimizer: Any, **more: Any) -> Dict[str, Any]:
    return {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 4,
            "rng_state": torch.get_rng_state(), **more}


# name -> writer(path, model, optimizer); what inspect says about each file is in the tests
OLD_WAYS: Dict[str, Callable[[str, Net, Any], None]] = {
    # ImageNet-example style, saved from DDP: every key prefixed `module.` (CKPT107)
    "ddp_prefix": lambda p, m, o: torch.save(
        {**_training(m, o), "model": _prefixed(m.state_dict(), "module.")}, p),
    # torch.compile'd and DDP-wrapped: `module._orig_mod.`
    "compile_prefix": lambda p, m, o: torch.save(
        {**_training(m, o), "model": _prefixed(m.state_dict(), "module._orig_mod.")}, p),
    # argparse/SimpleNamespace config, numpy best metric and step, numpy RNG tuple
    "namespaces_and_numpy": lambda p, m, o: torch.save(_training(
        m, o, args=argparse.Namespace(lr=1e-3, layers=[6, 16, 3]),
        cfg=types.SimpleNamespace(name="run1", out=pathlib.Path("/runs/1")),
        best_acc=np.float64(0.91), step=np.int64(120), np_rng=np.random.get_state(),
        hist=np.arange(10, dtype=np.float32), py_rng=random.getstate()), p),
    # the torch version stored as torch.__version__ (a TorchVersion), a torch.Generator object
    "torch_objects": lambda p, m, o: torch.save(_training(
        m, o, torch_version=torch.__version__, loader_generator=torch.Generator().manual_seed(1)), p),
    # a bare state dict in the legacy (non-zip) container
    "legacy_bare_state_dict": lambda p, m, o: torch.save(
        m.state_dict(), p, _use_new_zipfile_serialization=False),
    # torch.cuda.get_rng_state(): one device's state (CKPT108), with a numpy epoch counter
    "cuda_rng_one_device": lambda p, m, o: torch.save(
        {**_training(m, o), "epoch": np.int64(4), "cuda_rng_state": torch.get_rng_state()}, p),
    # a training checkpoint without RNG state and counters: nothing to repair, gaps remain
    "no_rng_no_counter": lambda p, m, o: torch.save(
        {"model": _prefixed(m.state_dict(), "module."), "optimizer": o.state_dict()}, p),
}
