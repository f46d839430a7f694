"""The rendered code a fix builder edits, and the map of its characters to the text.

Fix builders take positions from libcst (`model.rendered_span`: positions in the
code libcst renders) and map each edit back to the file's text through the map
(`ckptlint/semantic/core/source_map.py`, built with the model's spans, once per file).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ckptlint.semantic.core.source_map import SourceMap

if TYPE_CHECKING:
    from ckptlint.semantic.model import SemanticModel

__all__ = ["SourceMap", "source_map"]


def source_map(model: "SemanticModel") -> SourceMap:
    """The map of ``model``'s file (rendered once per model, when a fix or a finding needs it)."""
    return model.source_map
