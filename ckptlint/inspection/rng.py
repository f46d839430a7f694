"""Recognise RNG state in a checkpoint, and whether it covers every CUDA device.

A value is identified by its shape where it has one (``random.getstate()`` is
``(int, tuple, None)``, numpy's state has a ``bit_generator``), and by its key
otherwise: a ByteTensor under a key that says ``cuda`` is one device's CUDA
state (``torch.cuda.get_rng_state()``, CKPT108), a list of them is
``get_rng_state_all()``, one per device.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Mapping, Optional

from ckptlint.inspection.layouts import RNG_KEY_MARKERS, RNG_SOURCE_WORDS
from ckptlint.inspection.report import Rng
from ckptlint.inspection.tensors import is_tensor

CUDA_EVERY_DEVICE, CUDA_CURRENT_DEVICE_ONLY, CUDA_NONE = "every-device", "current-device-only", "none"
CUDA_UNKNOWN = "unknown"  # the state is stored as opaque bytes (a DCP entry that is not read)


def key_words(name: str) -> List[str]:
    return [word for word in re.split(r"[^a-z0-9]+", name.lower()) if word]


def is_rng_key(name: str) -> bool:
    return any(word.startswith(RNG_KEY_MARKERS) for word in key_words(name))


def describe_rng(key: str, value: Any) -> Optional[Rng]:
    """The RNG state stored under the top-level ``key``, or None when there is none in it."""
    if isinstance(value, Mapping) and isinstance(value.get("per_rank"), list):
        return _ckptlint_checkpoint_rng(key, value["per_rank"])
    sources: Dict[str, str] = {}
    _collect(key, value, sources)
    if not sources:
        return None
    return Rng(location=key, sources=tuple(sorted(sources)),
               cuda=sources.get("cuda", CUDA_NONE), ranks=None)


def _ckptlint_checkpoint_rng(location: str, per_rank: List[Any]) -> Rng:
    """``save_checkpoint``'s ``rng``: one ``capture_rng_state()`` per rank."""
    sources: Dict[str, str] = {}
    for state in per_rank:
        _collect("", state, sources)
    return Rng(location=location, sources=tuple(sorted(sources)),
               cuda=sources.get("cuda", CUDA_NONE), ranks=len(per_rank))


def source_named(name: str) -> Optional[str]:
    """The generator a key's words name ("cuda_rng_state" -> "cuda"), if any."""
    words = key_words(name)
    return next((source for word, source in RNG_SOURCE_WORDS if word in words), None)


def _collect(name: str, value: Any, sources: Dict[str, str], parent: Optional[str] = None) -> None:
    """Add the generators ``value`` holds to ``sources`` (source -> CUDA coverage or "").

    A value without a name of its own belongs to its parent's generator: the
    ``keys`` tensor under ``numpy`` is numpy's state, not torch's.
    """
    named = source_named(name) or parent
    if isinstance(value, Mapping):
        if "bit_generator" in value:  # numpy: get_state(legacy=False), or ckptlint's form
            sources["numpy"] = ""
        elif named == "generators":  # make_generator()'s named generators: {name: state}
            if value:
                sources["generators"] = ""
        else:
            for key, item in value.items():
                _collect(str(key), item, sources, named)
    elif is_tensor(value) or _is_tensor_list(value):
        if named != "cuda":
            sources[named or "torch"] = ""
        elif is_tensor(value):  # torch.cuda.get_rng_state(): one device's state
            sources.setdefault("cuda", CUDA_CURRENT_DEVICE_ONLY)
        else:  # torch.cuda.get_rng_state_all(): one state per device
            sources["cuda"] = CUDA_EVERY_DEVICE
    elif _is_python_state(value):
        sources["python"] = ""
    elif isinstance(value, (list, tuple)):  # e.g. one state per rank; [] for no CUDA device
        for item in value:
            _collect(name, item, sources, parent)


def _is_tensor_list(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and bool(value) and all(is_tensor(v) for v in value)


def _is_python_state(value: Any) -> bool:
    """``random.getstate()``: ``(version, tuple of 625 ints, gauss_next)``."""
    return (isinstance(value, tuple) and len(value) == 3 and isinstance(value[0], int)
            and isinstance(value[1], tuple))
