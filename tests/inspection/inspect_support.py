"""Builders shared by the `ckptlint inspect` tests (a uniquely named module, so
that it never clashes with another test folder's helpers)."""

from __future__ import annotations

from typing import Any, Dict, List

import torch


def make_model() -> Any:
    """Linear + BatchNorm: float parameters and an int64 buffer."""
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))


def trained(model: Any, optimizer: Any) -> Any:
    """One step, so that the optimizer holds per-parameter state."""
    model(torch.randn(8, 3)).sum().backward()
    optimizer.step()
    return optimizer


def finding_names(document: Dict[str, Any], index: int = 0) -> List[str]:
    return [f["name"] for f in document["files"][index]["findings"]]


def only_file(document: Dict[str, Any]) -> Dict[str, Any]:
    (file,) = document["files"]
    return file
