"""What CKPT102, CKPT103 and CKPT105 share: a training checkpoint without the state of an object in scope.

The three rules are one check with three kinds (the catalog's CKPT103 and
CKPT105 read "as CKPT102"): for each optimizer / scheduler / scaler in scope at
the save whose state the training checkpoint leaves out
(`Checkpoints.missing`, which holds the silences), one finding at the save,
with a safe fix that adds `"<key>": <object>.state_dict()` where the dict can
take it and restores it where the program resumes from that file
(`if "<key>" in ckpt: <object>.load_state_dict(ckpt["<key>"])`, catalog
revision 2). Where no resume load of the file is visible, or the object does
not exist there, the fix would add an entry that nothing restores: there is
none, and the message says what to change. Each rule keeps its own file,
documentation and examples, as ruff's `strict_utils.rs` serves its
`*-without-explicit-strict` rules.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from ckptlint.fixes import Applicability, builders, paired
from ckptlint.rules.base import Context
from ckptlint.semantic.facts.checkpoints import ScopedObject
from ckptlint.semantic.facts.kinds import Kind
from ckptlint.semantic.facts.resume import LoadSite
from ckptlint.semantic.facts.saves import SaveSite


def report_missing_state(save: SaveSite, ctx: Context, kind: Kind, key: str) -> None:
    """Report each object of ``kind`` whose state ``save`` leaves out; the fix stores it under
    ``key`` (or a key naming the object, when several of that kind are in scope) and restores it."""
    model = ctx.model
    checkpoints = model.checkpoints
    checkpoint = checkpoints.of(save)
    if checkpoint is None:
        return
    several = len(checkpoints.in_scope(save, kind)) > 1
    for obj in checkpoints.missing(save, kind):
        message = f"Training checkpoint without `{obj.text}.state_dict()`"
        new_key = builders.state_dict_key(checkpoint, obj.text, key, several)
        entry = builders.add_checkpoint_entry(model, checkpoint, new_key, builders.state_dict_call(obj.text)) if new_key else None
        if entry is None:
            ctx.report(save.call, message=message)
            continue
        pairing = paired.restore_entry(model, save, new_key, _restorer(ctx, save, obj))
        if not pairing.complete:
            advice = f'`{obj.text}.load_state_dict(ckpt["{new_key}"])`'
            ctx.report(save.call, message=f"{message} (no fix: {pairing.problem}; save it, and restore it where the job resumes: {advice})")
            continue
        ctx.report(save.call, message=message, fix=ctx.fix([entry, *pairing.edits], Applicability.SAFE))


def _restorer(ctx: Context, save: SaveSite, obj: ScopedObject) -> paired.Restorer:
    """`<obj as spelled at the resume load>.load_state_dict`, where it exists."""

    def restorer(load: LoadSite, anchor: cst.BaseStatement) -> Optional[cst.BaseExpression]:
        spelled = ctx.model.checkpoints.counterpart(save, obj, anchor)
        return builders.dotted(f"{spelled}.load_state_dict") if spelled is not None else None

    return restorer
