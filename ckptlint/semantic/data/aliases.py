"""Data: public re-exports that name the same object.

Resolution maps every spelling to one canonical name, so rules match a
single string (`torch.load`) however the file imported it. A prefix is
canonicalised too: `lightning.Fabric.save` is `lightning.fabric.Fabric.save`.
"""

from __future__ import annotations

from typing import Dict, Tuple

CANONICAL: Dict[str, str] = {
    "torch.serialization.load": "torch.load",
    "torch.serialization.save": "torch.save",
    "lightning.Fabric": "lightning.fabric.Fabric",
    "lightning.fabric.fabric.Fabric": "lightning.fabric.Fabric",
    "lightning_fabric.Fabric": "lightning.fabric.Fabric",
    "lightning_fabric.fabric.Fabric": "lightning.fabric.Fabric",
    "accelerate.accelerator.Accelerator": "accelerate.Accelerator",
    # batchgenerators (nnU-Net's file helpers) binds `join = os.path.join`
    "batchgenerators.utilities.file_and_folder_operations.join": "os.path.join",
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


def known_names_of(module: str) -> Tuple[str, ...]:
    """The names of the outside ``module`` this data knows: what `from module import *` binds
    here (a star import of an outside module binds nothing else the linter could name)."""
    prefix = f"{module}."
    return tuple(sorted({k[len(prefix):] for k in CANONICAL if k.startswith(prefix) and "." not in k[len(prefix):]}))
