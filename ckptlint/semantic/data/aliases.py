"""Data: public re-exports that name the same object.

Resolution maps every spelling to one canonical name, so rules match a
single string (`torch.load`) however the file imported it. A prefix is
canonicalised too: `lightning.Fabric.save` is `lightning.fabric.Fabric.save`.
"""

from __future__ import annotations

from typing import Dict

CANONICAL: Dict[str, str] = {
    "torch.serialization.load": "torch.load",
    "torch.serialization.save": "torch.save",
    "lightning.Fabric": "lightning.fabric.Fabric",
    "lightning.fabric.fabric.Fabric": "lightning.fabric.Fabric",
    "lightning_fabric.Fabric": "lightning.fabric.Fabric",
    "lightning_fabric.fabric.Fabric": "lightning.fabric.Fabric",
    "accelerate.accelerator.Accelerator": "accelerate.Accelerator",
}


def canonical(name: str) -> str:
    """The canonical spelling of ``name`` or of its longest aliased prefix."""
    found = CANONICAL.get(name)
    if found is not None:
        return found
    head, dot, tail = name.rpartition(".")
    while head:
        found = CANONICAL.get(head)
        if found is not None:
            return f"{found}.{tail}"
        head, dot, rest = head.rpartition(".")
        tail = f"{rest}.{tail}"
    return name
