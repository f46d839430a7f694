"""Paired edits: what a fix that changes what a save writes changes where the program loads it.

The catalog's revision 2, "A fix keeps the program working". A fix that adds
an entry to a checkpoint (CKPT102-105) restores it where the program resumes
from that checkpoint; a fix that changes the saved object (CKPT101, CKPT107)
changes the loads that still expect the old one. Each operation here returns
the edits of the pair, or why the pair cannot be completed (then the rule
offers no fix, and says what the user must change):

- `restore_entry`: after the statements that restore a resume load's value
  (`resume.restore_point`), `if "<key>" in ckpt: <restore>(ckpt["<key>"])`.
  The test keeps a checkpoint written before the fix loadable (it lacks the
  key), and one written by another save of the same file that lacks it.
- `unwrap_loads`: `X.load_state_dict(ckpt["model"])` into a DDP or
  DataParallel wrap `X` becomes `X.module.load_state_dict(...)` (`_orig_mod`
  for `torch.compile`), since the saved keys lose their prefix.
- `whole_model_loads`: the loads of a file that holds a whole model: each one
  uses what it loads as a model, and is not rewritten here.

Which loads read a save's file, where a restore goes and how an object is
spelled there are facts (`files.loads_of_checkpoint`, `resume.restore_point`,
`checkpoints.counterpart`); this module only builds the edits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional, Tuple, Union

import libcst as cst

from ckptlint.fixes import builders
from ckptlint.fixes.model import Edit
from ckptlint.semantic.facts.kinds import MIXED_WRAP, UNWRAP_PREFIX
from ckptlint.semantic.facts.resume import LoadSite
from ckptlint.semantic.facts.saves import SaveSite
from ckptlint.semantic.model import SemanticModel

# How a restore is called at a resume load: given the load and the statement the restore follows,
# the callee (`optimizer.load_state_dict`, `ckptlint.runtime.restore_rng_state`), or None when the
# object it restores does not exist there.
Restorer = Callable[[LoadSite, cst.BaseStatement], Optional[cst.BaseExpression]]


@dataclass(frozen=True)
class Pairing:
    """The edits of the loads' side of a fix, or why they cannot be made."""

    edits: Tuple[Edit, ...] = ()
    problem: Optional[str] = None  # what keeps the pair from being completed, for the message

    @property
    def complete(self) -> bool:
        return self.problem is None


def where(model: SemanticModel, node: cst.CSTNode) -> str:
    """Where ``node`` is, for a message: its function (`in `Trainer.resume``), or the module's top
    level. Not a line number: a message must not change when a fix adds lines above it."""
    function = model.tree.enclosing_function(node)
    if function is None:
        return "at the module's top level"
    class_def = model.tree.class_of(function)
    name = f"{class_def.name.value}.{function.name.value}" if class_def is not None else function.name.value
    return f"in `{name}`"


def resume_loads(model: SemanticModel, save: SaveSite) -> List[LoadSite]:
    """The resume loads of the file ``save`` writes."""
    files = model.files
    return [load for load in files.loads_of_checkpoint(save) if files.is_resume(load)]


def restore_entry(model: SemanticModel, save: SaveSite, key: str, restorer: Restorer) -> Pairing:
    """Restore the new entry ``key`` at every resume load of the file ``save`` writes."""
    loads = resume_loads(model, save)
    if not loads:
        return Pairing(problem="no load in this file resumes from it")
    edits: List[Edit] = []
    for load in loads:
        if key in model.resume.keys_read(load):
            continue  # it reads the key already: the entry was all it lacked
        anchor = model.resume.restore_point(load)
        if anchor is None or load.variable is None:
            return Pairing(problem=f"the resume load {where(model, load.call)} keeps no variable to restore it from")
        callee = restorer(load, anchor)
        if callee is None:
            return Pairing(problem=f"nothing to restore it into exists at the resume load {where(model, load.call)}")
        edits.append(builders.insert_statement_after(model, anchor, guarded_restore(load.variable, key, callee)))
    return Pairing(tuple(edits))


def guarded_restore(variable: str, key: str, callee: cst.BaseExpression) -> cst.If:
    """`if "key" in variable:` / `    callee(variable["key"])`."""
    read = cst.Subscript(
        value=cst.Name(variable),
        slice=[cst.SubscriptElement(slice=cst.Index(value=builders.string_literal(key)))],
    )
    test = cst.Comparison(
        left=builders.string_literal(key),
        comparisons=[cst.ComparisonTarget(operator=cst.In(), comparator=cst.Name(variable))],
    )
    call = builders.call_statement(callee, read)
    return cst.If(test=test, body=cst.IndentedBlock(body=[call]))


def unwrap_loads(model: SemanticModel, save: SaveSite, key: Optional[str], prefix: str) -> Pairing:
    """Make the loads of ``save``'s file load the entry ``key`` (None: the whole saved value), whose
    keys lose ``prefix``, into the unwrapped model."""
    edits: List[Edit] = []
    for load in model.files.loads_of_checkpoint(save):
        uses = _uses_of_entry(model, load, key)
        restores = [model.flows.restore_by(use) for use in uses]
        if load.escapes or any(restore is None for restore in restores):
            return Pairing(problem=f"the load {where(model, load.call)} uses the state dict in a way this fix cannot follow")
        for restore in restores:
            edit = _unwrapped(model, restore, prefix)  # type: ignore[arg-type]
            if isinstance(edit, str):
                return Pairing(problem=f"the load {where(model, load.call)} {edit}")
            if edit is not None:
                edits.append(edit)
    return Pairing(tuple(edits))


def _uses_of_entry(model: SemanticModel, load: LoadSite, key: Optional[str]) -> List[cst.BaseExpression]:
    """Where the entry ``key`` read from ``load`` ends up (the whole value's uses when None)."""
    flows = model.flows
    if key is None:
        return list(flows.terminal_uses(load.call))
    return [use for read in load.reads if read.key == key for use in flows.terminal_uses(read.node)]


def _unwrapped(model: SemanticModel, restore: cst.Call, prefix: str) -> Union[Edit, str, None]:
    """The edit that loads into the unwrapped model, None when the receiver is unwrapped already,
    or why it cannot be told."""
    receiver = cst.ensure_type(restore.func, cst.Attribute).value
    kind = model.kinds.of(receiver)
    if kind is None:
        return "loads it into an object whose kind is not known here"
    if kind.wrap is None:
        return None
    if kind.wrap == MIXED_WRAP:
        return "loads it into a model that only some branches wrap"
    if UNWRAP_PREFIX.get(kind.wrap) != prefix or kind.unwrap_attribute is None:
        return "loads it into another kind of wrap"
    return builders.replace_node(model, receiver, cst.Attribute(value=receiver, attr=cst.Name(kind.unwrap_attribute)))


def whole_model_loads(model: SemanticModel, save: SaveSite) -> Pairing:
    """A file that holds a whole model: its loads use what they load as a model."""
    loads = model.files.loads_of_checkpoint(save)
    if loads:
        return Pairing(problem=f"the load {where(model, loads[0].call)} uses what it loads as a model: "
                               "build the model there and `load_state_dict` the file")
    return Pairing()
