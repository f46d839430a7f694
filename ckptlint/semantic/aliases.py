"""Data: public re-exports that name the same object.

Resolution maps every spelling to one canonical name, so rules match a
single string (`torch.load`) however the file imported it.
"""

from __future__ import annotations

from typing import Dict

CANONICAL: Dict[str, str] = {
    "torch.serialization.load": "torch.load",
    "torch.serialization.save": "torch.save",
}


def canonical(name: str) -> str:
    return CANONICAL.get(name, name)
