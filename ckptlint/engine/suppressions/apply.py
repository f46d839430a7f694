"""Which findings the suppression directives of one file silence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, FrozenSet, List

from ckptlint.diagnostics import Diagnostic
from ckptlint.engine.suppressions.directives import FileDirectives, Placed

ALL = "*"


@dataclass
class Suppressions:
    """The (line, code) pairs one file's directives suppress."""

    exempt: bool = False  # `# ckptlint: noqa` in the first comment block
    by_line: Dict[int, FrozenSet[str]] = field(default_factory=dict)  # one-line directives
    blocks: List[Placed] = field(default_factory=list)

    @classmethod
    def from_directives(cls, directives: FileDirectives) -> "Suppressions":
        result = cls(exempt=directives.exempt)
        for placed in directives.placed:
            codes = frozenset({ALL}) if placed.directive.bare else frozenset(placed.directive.codes)
            if placed.first < placed.last:
                result.blocks.append(placed)
            elif codes:
                result.by_line[placed.first] = result.by_line.get(placed.first, frozenset()) | codes
        return result

    def suppresses(self, diagnostic: Diagnostic) -> bool:
        if self.exempt:
            return True
        line = diagnostic.noqa_line or diagnostic.span.line
        codes = self.by_line.get(line, frozenset())
        if ALL in codes or diagnostic.code in codes:
            return True
        return any(diagnostic.code in block.directive.codes and block.covers(diagnostic.code, line) for block in self.blocks)
