"""What CKPT102, CKPT103 and CKPT105 share: a training checkpoint without the state of an object in scope.

The three rules are one check with three kinds (the catalog's CKPT103 and
CKPT105 read "as CKPT102"): for each optimizer / scheduler / scaler in scope at
the save whose state the training checkpoint leaves out
(`Checkpoints.missing`, which holds the silences), one finding at the save,
with a safe fix that adds `"<key>": <object>.state_dict()` where the dict can
take it. Each rule keeps its own file, documentation and examples, as ruff's
`strict_utils.rs` serves its `*-without-explicit-strict` rules.
"""

from __future__ import annotations

from functools import partial
from typing import Optional

from ckptlint.fixes import Applicability, Fix, builders
from ckptlint.rules.base import Context
from ckptlint.semantic.facts.checkpoints import Checkpoint
from ckptlint.semantic.facts.kinds import Kind
from ckptlint.semantic.facts.saves import SaveSite


def report_missing_state(save: SaveSite, ctx: Context, kind: Kind, key: str) -> None:
    """Report each object of ``kind`` whose state ``save`` leaves out; the fix stores it under
    ``key`` (or a key naming the object, when several of that kind are in scope)."""
    model = ctx.model
    checkpoints = model.checkpoints
    checkpoint = checkpoints.of(save)
    if checkpoint is None:
        return
    missing = checkpoints.missing(save, kind)
    several = len(checkpoints.in_scope(save, kind)) > 1
    for obj in missing:
        fix = partial(_fix, ctx, checkpoint, obj.text, key, several)
        ctx.report(save.call, message=f"Training checkpoint without `{obj.text}.state_dict()`", fix=fix)


def _fix(ctx: Context, checkpoint: Checkpoint, obj: str, key: str, several: bool) -> Optional[Fix]:
    edit = builders.add_state_dict_entry(ctx.model, checkpoint, obj, key, several)
    return ctx.fix([edit], Applicability.SAFE) if edit is not None else None
