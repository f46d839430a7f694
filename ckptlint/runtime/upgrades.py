"""Reading older checkpoint formats: registered upgrade steps, and the user's own key renames.

``load_checkpoint`` accepts every earlier version of
``ckptlint.checkpoint/N`` (:mod:`.format` lists what each version holds):
the payload goes through one registered step per version, ``1 -> 2 -> ...``,
until it has the current shape, so the loading code only ever sees the
current format. A file from a *newer* ckptlint is refused with a message
saying which versions this one reads, never half-read. Steps are pure
functions of the payload (no file access), registered with
:func:`upgrade_step`; a test checks that every version below the current one
has its step, and loads a file written the old way through it.

Key renames are the user's migrations (a submodule renamed since the
checkpoint was written, ``encoder.`` -> ``backbone.``): ``rename_keys`` maps
old key prefixes to new ones, or is a function of one key returning its new
name (``None`` drops the key). They apply to model state dict keys after the
wrapper prefixes (``module.``, ``_orig_mod.``) are stripped, like
``Module._register_load_state_dict_pre_hook`` would, but without touching the
model class. Optimizer state is indexed by parameter position, not by name,
so it needs no rename.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Optional, Union

from .. import __version__ as _ckptlint_version
from .errors import CheckpointFormatError
from .format import CHECKPOINT_VERSION, checkpoint_format, checkpoint_version

__all__ = ["upgrade_step", "upgrade", "registered_steps", "rename_model_keys", "KeyRenames"]

Payload = dict[str, Any]
UpgradeStep = Callable[[Payload], Payload]
KeyRenames = Union[Mapping[str, str], Callable[[str], Optional[str]]]
_STEPS: dict[int, UpgradeStep] = {}


def upgrade_step(from_version: int) -> Callable[[UpgradeStep], UpgradeStep]:
    """Register ``fn`` as the step from ``from_version`` to ``from_version + 1``."""
    def register(fn: UpgradeStep) -> UpgradeStep:
        if from_version in _STEPS:
            raise ValueError(f"an upgrade step from version {from_version} is already registered")
        _STEPS[from_version] = fn
        return fn
    return register


def registered_steps() -> dict[int, UpgradeStep]:
    return dict(_STEPS)


@upgrade_step(1)
def _v1_to_v2(payload: Payload) -> Payload:
    """Version 1 had no mid-epoch saves (every save closed an epoch) and no checksums."""
    return {**payload, "epoch_complete": True, "checksums": None}


def check_version(label: str, payload: Mapping[str, Any]) -> int:
    """The payload's format version; CheckpointFormatError for a foreign or newer file."""
    fmt = payload.get("format")
    version = checkpoint_version(fmt)
    if version is None or version < 1:
        keys = sorted(map(str, payload))[:10]
        raise CheckpointFormatError(f"{label} is not a ckptlint checkpoint (format {fmt!r}; "
                                    f"contents: {keys})")
    if version > CHECKPOINT_VERSION:
        raise CheckpointFormatError(
            f"{label} was written by a newer ckptlint (format {fmt!r}); ckptlint {_ckptlint_version} "
            f"reads formats 1 to {CHECKPOINT_VERSION}. Upgrade it to load this file: "
            "pip install -U 'ckptlint[runtime]'")
    return version


def upgrade(label: str, payload: Payload) -> Payload:
    """The payload in the current format (a copy when a step ran); ``meta`` records the origin."""
    version = check_version(label, payload)
    if version == CHECKPOINT_VERSION:
        return payload
    original = payload["format"]
    while version < CHECKPOINT_VERSION:
        payload = _STEPS[version](payload)
        version += 1
    meta = dict(payload.get("meta") or {})
    meta["upgraded_from"] = original
    return {**payload, "format": checkpoint_format(version), "meta": meta}


def _renamer(renames: KeyRenames) -> Callable[[str], Optional[str]]:
    if callable(renames):
        return renames
    prefixes = sorted(renames.items(), key=lambda item: -len(item[0]))  # the longest prefix wins

    def by_prefix(key: str) -> str:
        for old, new in prefixes:
            if key.startswith(old):
                return new + key[len(old):]
        return key
    return by_prefix


def rename_model_keys(state: Mapping[str, Any], renames: Optional[KeyRenames]) -> dict[str, Any]:
    """``state`` with its keys renamed; two keys landing on one name is an error."""
    if renames is None:
        return dict(state)
    rename = _renamer(renames)
    out: dict[str, Any] = {}
    for key, value in state.items():
        new = rename(key)
        if new is None:
            continue
        if new in out:
            raise ValueError(f"rename_keys maps two keys to {new!r} (one of them is {key!r})")
        out[new] = value
    return out
