"""Name resolution: one ambiguity policy for the whole linter.

Built on libcst's `QualifiedNameProvider` (scope-aware, through every import
form and alias). Names that come from an import keep their dotted path
(`torch.load`); names defined in the file are prefixed with `<local>.` so a
user's own `load` or a variable called `torch` never matches a torch API.
A node resolves to a name only when every candidate agrees: a name bound by
an `if`/`else` to two different imports is ambiguous, and rules stay silent.
"""

from __future__ import annotations

from typing import Callable, FrozenSet, Mapping, Optional

import libcst as cst
from libcst.metadata import MetadataWrapper, QualifiedNameProvider, QualifiedNameSource

from ckptlint.semantic.aliases import canonical

LOCAL_PREFIX = "<local>."


def _render(name: str, source: QualifiedNameSource) -> str:
    if source is QualifiedNameSource.IMPORT:
        return canonical(name)
    if source is QualifiedNameSource.BUILTIN:
        # libcst already spells builtins as `builtins.dict`; older versions gave `dict`.
        return name if name.startswith("builtins.") else f"builtins.{name}"
    return LOCAL_PREFIX + name


class NameResolver:
    """Qualified names of expressions, computed lazily per node."""

    def __init__(self, wrapper: MetadataWrapper) -> None:
        self._wrapper = wrapper
        self._provider: Optional[Mapping[cst.CSTNode, object]] = None

    def _metadata(self) -> Mapping[cst.CSTNode, object]:
        if self._provider is None:
            self._provider = self._wrapper.resolve(QualifiedNameProvider)
        return self._provider

    def qualnames(self, node: cst.CSTNode) -> FrozenSet[str]:
        """Every name ``node`` may refer to (possibly several)."""
        value = self._metadata().get(node)
        if value is None:
            return frozenset()
        if isinstance(value, Callable):  # libcst's LazyValue
            value = value()
        return frozenset(_render(q.name, q.source) for q in value)  # type: ignore[attr-defined]

    def qualname(self, node: cst.CSTNode) -> Optional[str]:
        """The one name ``node`` refers to, or None when unknown or ambiguous."""
        names = self.qualnames(node)
        if len(names) == 1:
            return next(iter(names))
        return None
