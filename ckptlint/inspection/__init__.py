"""`ckptlint inspect`: what a checkpoint file holds, and what is wrong with it.

The linter reads training code; this package reads the checkpoints it
writes. Nothing in a file is executed: globals are listed statically before
anything is loaded, and loading is ``torch.load(weights_only=True)`` only.
Needs torch (the ``runtime`` extra), imported on first use.

Modules, one concept each: ``opening`` (safe loading), ``safe_pickle``
(static global scans, allowlisted unpickling), ``layouts`` (the key names and
shapes recognised, as data), ``classify``/``tensors``/``rng`` (what a payload
holds), ``dcp_folder``/``dcp_contents`` (torch.distributed.checkpoint
folders, from their metadata), ``findings`` (what is a problem),
``report`` (the result), ``render_text``/``render_json`` (output).
"""

from __future__ import annotations

from ckptlint.inspection.inspector import inspect_paths

__all__ = ["inspect_paths"]
