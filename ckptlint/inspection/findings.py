"""Decide what is a problem in an inspected checkpoint, named after the catalog's rules.

Where a linter rule describes the same defect in code (CKPT104
missing-rng-state: a checkpoint that holds optimizer state but no RNG state),
the finding carries that rule's name and code, so `inspect` and `check` speak
one language. The defects only a file can show have names of their own and no
code: ``truncated-checkpoint``, ``not-weights-only-loadable``,
``dangling-pointer`` and ``no-model-weights``.

What counts as a problem:

- A training checkpoint (model weights plus optimizer state) must also hold
  RNG state (CKPT104) and a progress counter (CKPT106), as the linter asks.
  Scheduler and scaler state are reported but never required: many jobs use
  neither, and a file cannot tell.
- A weights-only file (a bare state dict for inference) is not resumable: it
  gets ``missing-optimizer-state`` (CKPT102), unless the caller said weights
  alone are what it expects (``--allow-weights-only``).
- A wrapper prefix on every key (CKPT107) and a single CUDA RNG state
  (CKPT108) are problems in any file that has them.
"""

from __future__ import annotations

from typing import Iterable, List

from ckptlint.inspection.layouts import MODULE_GLOBAL_PREFIXES, UNSAFE_GLOBAL_ADVICE
from ckptlint.inspection.report import Contents, Finding, Weights
from ckptlint.inspection.rng import CUDA_CURRENT_DEVICE_ONLY
from ckptlint.rules.metadata import RULES

_CODES = {info.name: info.code for info in RULES}


def finding(name: str, message: str) -> Finding:
    """A finding; its code is the catalog rule's of that name, if there is one."""
    return Finding(name=name, code=_CODES.get(name), message=message)


def content_findings(contents: Contents, allow_weights_only: bool) -> List[Finding]:
    """The problems in what a readable checkpoint holds."""
    if contents.kind == "pointer":
        return _pointer_findings(contents)
    found = [_prefixed(w) for w in contents.weights if w.prefix]
    found += [_cuda_rng_one_device(r.location) for r in contents.rng if r.cuda == CUDA_CURRENT_DEVICE_ONLY]
    if contents.kind == "unrecognised":
        found.append(_no_model_weights(contents))
    elif contents.kind == "weights-only" and not allow_weights_only:
        found.append(finding("missing-optimizer-state", (
            "model weights only: fine for inference or fine-tuning, but training cannot resume "
            "from it (no optimizer state); pass --allow-weights-only if that is all it should hold")))
    elif contents.kind == "training-checkpoint":
        found += _resume_gaps(contents)
    return found


def _resume_gaps(contents: Contents) -> List[Finding]:
    gaps = []
    if not contents.rng:
        gaps.append(finding("missing-rng-state", (
            "holds optimizer state but no RNG state: a resumed run draws different dropout masks "
            "and data order (store ckptlint.runtime.capture_rng_state())")))
    if not contents.counters:
        gaps.append(finding("missing-progress-counter", (
            "holds optimizer state but no epoch/step/iteration counter: a resumed run cannot tell "
            "where to start")))
    return gaps


def _prefixed(weights: Weights) -> Finding:
    where = f"`{weights.location}`" if weights.location else "the state dict"
    return finding("ddp-prefixed-state-dict", (
        f"every key of {where} starts with `{weights.prefix}` (saved from a DDP/DataParallel or "
        "torch.compile wrapper): load_state_dict into the bare model fails unless the prefix is "
        "stripped; save model.module / model._orig_mod instead"))


def _cuda_rng_one_device(location: str) -> Finding:
    return finding("cuda-rng-current-device-only", (
        f"`{location}` holds one CUDA RNG state (torch.cuda.get_rng_state()): only the current "
        "device's; store torch.cuda.get_rng_state_all(), a list with one per device"))


def _no_model_weights(contents: Contents) -> Finding:
    keys = ", ".join(contents.other_keys[:12]) or "none"
    parts = [f"{len(p)} {label}" for p, label in ((contents.optimizers, "optimizer"),
                                                   (contents.schedulers, "scheduler"),
                                                   (contents.rng, "RNG")) if p]
    held = f" (it holds {', '.join(parts)} state)" if parts else ""
    return finding("no-model-weights", f"no model state dict found{held}; unrecognised keys: {keys}")


def _pointer_findings(contents: Contents) -> List[Finding]:
    pointer = contents.pointer
    if pointer is None or pointer.target_exists:
        return []
    return [finding("dangling-pointer", f"points to {pointer.target}, which does not exist")]


def unsafe_global_findings(refused: Iterable[str],
                           reader: str = "torch.load(weights_only=True)") -> List[Finding]:
    """Why ``reader`` refuses the file, and what to store instead."""
    refused = sorted(refused)
    advice = sorted({UNSAFE_GLOBAL_ADVICE[g] for g in refused if g in UNSAFE_GLOBAL_ADVICE})
    message = (f"{reader} refuses it: it needs {', '.join(refused)}; not loaded (loading it "
               "would run code from the file)")
    found = [finding("not-weights-only-loadable", message + "".join(f"; {a}" for a in advice))]
    modules = [g for g in refused if g.startswith(MODULE_GLOBAL_PREFIXES)]
    if modules:
        classes = [g for g in refused if not g.startswith("torch.")] + modules  # the user's first
        shown = ", ".join(classes[:3]) + (f" and {len(classes) - 3} more" if len(classes) > 3 else "")
        found.append(finding("save-whole-model", (
            f"a whole pickled model ({shown}), not a state dict: it loads only where the same "
            "classes are importable; save model.state_dict() instead")))
    return found


def truncated_finding(detail: str) -> Finding:
    return finding("truncated-checkpoint", detail)

