"""Name resolution: one ambiguity policy for the whole linter.

Built on libcst's scope analysis (`ScopeProvider`), asking each node's scope
for its qualified names (`Scope.get_qualified_names_for`), which is exactly
what `QualifiedNameProvider` does, without its extra pass over every node of
the file: only the nodes rules ask about are resolved. Resolution is
scope-aware and goes through every import form and alias. Names that come from an import keep their dotted path
(`torch.load`); names defined in the file are prefixed with `<local>.` so a
user's own `load` or a variable called `torch` never matches a torch API.
A node resolves to a name only when every candidate agrees: a name bound by
an `if`/`else` to two different imports is ambiguous, and rules stay silent.
"""

from __future__ import annotations

from typing import FrozenSet, Mapping, Optional

import libcst as cst
from libcst.metadata import MetadataWrapper, QualifiedNameSource, Scope, ScopeProvider

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
        self._scopes: Optional[Mapping[cst.CSTNode, Optional[Scope]]] = None

    def _scope_of(self, node: cst.CSTNode) -> Optional[Scope]:
        if self._scopes is None:
            self._scopes = self._wrapper.resolve(ScopeProvider)  # cached by the wrapper
        return self._scopes.get(node)

    def qualnames(self, node: cst.CSTNode) -> FrozenSet[str]:
        """Every name ``node`` may refer to (possibly several)."""
        scope = self._scope_of(node)
        if scope is None:
            return frozenset()
        return frozenset(_render(q.name, q.source) for q in scope.get_qualified_names_for(node))

    def qualname(self, node: cst.CSTNode) -> Optional[str]:
        """The one name ``node`` refers to, or None when unknown or ambiguous."""
        names = self.qualnames(node)
        if len(names) == 1:
            return next(iter(names))
        return None
