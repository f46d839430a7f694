"""Name resolution: one ambiguity policy for the whole linter.

A name or dotted attribute chain (`torch.load`, `th.nn.Module`, `save`) is
resolved through the scopes (`scopes.py`): the variable at its root is looked
up as Python would, and every binding of it there gives one qualified name.
Names that come from an import keep their dotted path (`torch.load`,
canonicalised by `aliases.py`); a relative import keeps its leading dots
(`.utils.save_on_master`); names defined in the file are prefixed with
`<local>.` and their scope (`<local>.main.<locals>.model`), so a user's own
`load` or a variable called `torch` never matches a torch API; builtins are
`builtins.x`. A node resolves to a name only when every candidate agrees: a
name bound by an `if`/`else` to two different imports is ambiguous, and rules
stay silent. Only `Name` and `Attribute` chains have names: the callee of
`torch.load(p)(x)` is a call, not `torch.load`.

This gives the answers libcst's `Scope.get_qualified_names_for` gives, without
its scope analysis pass (a test compares the two on the fixtures, the rule
examples and real code), with three deliberate differences:
- `int.from_bytes` is `builtins.int.from_bytes` (libcst: `builtins.int`);
- a name a star import of an outside module binds, which the data knows
  (`join` after `from batchgenerators...file_and_folder_operations import *`
  is `os.path.join`; libcst: nothing);
- a read of a name its own scope binds only at or after the read (`x, y =
  f(x, y)` with `x` first bound there, `use(ckpt)` before `ckpt = ...` in a
  loop body) resolves to that scope's bindings, as Python's compiler scopes
  it. libcst drops the assignments that follow the access and looks in the
  enclosing scope instead (there: nothing, or a builtin). That is wrong in a
  function, where the name is local everywhere (reading it first raises
  `UnboundLocalError`, it never reads the global or the builtin), and in a
  loop, where the later assignment reaches the next iteration's read. It is
  right only for straight-line module or class code (`print = wrap(print)`
  at module level reads the builtin), where our answer names a binding that
  has not run yet: whether a value reaches a read is the statement-order
  question `bindings.py` answers (there: none, so no fact gets a value), and
  a rule that matches an API by name never matches such a local.
"""

from __future__ import annotations

from typing import Dict, FrozenSet, Optional, Tuple

import libcst as cst

from ckptlint.semantic.data.aliases import canonical
from ckptlint.semantic.core.scopes import IMPORT, NameBinding, Scope, Scopes

LOCAL_PREFIX = "<local>."


def dotted_parts(node: cst.CSTNode) -> Optional[Tuple[cst.Name, str]]:
    """``(root, ".b.c")`` for `a.b.c`; None when the chain does not start at a plain name."""
    suffix = ""
    while isinstance(node, cst.Attribute):
        suffix = f".{node.attr.value}{suffix}"
        node = node.value
    return (node, suffix) if isinstance(node, cst.Name) else None


def binding_qualname(binding: NameBinding, scope: Scope) -> str:
    """The qualified name a binding gives the name it binds."""
    if binding.kind == IMPORT and binding.imported is not None:
        return canonical(binding.imported)
    return f"{LOCAL_PREFIX}{scope.prefix}{binding.name}"


class NameResolver:
    """Qualified names of expressions, computed lazily per node."""

    def __init__(self, scopes: Scopes) -> None:
        self._scopes = scopes
        self._cache: Dict[int, FrozenSet[str]] = {}

    def qualnames(self, node: cst.CSTNode) -> FrozenSet[str]:
        """Every name ``node`` may refer to (possibly several)."""
        key = id(node)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._compute(node)
        return found

    def qualname(self, node: cst.CSTNode) -> Optional[str]:
        """The one name ``node`` refers to, or None when unknown or ambiguous."""
        names = self.qualnames(node)
        if len(names) == 1:
            return next(iter(names))
        return None

    def _compute(self, node: cst.CSTNode) -> FrozenSet[str]:
        parts = dotted_parts(node)
        if parts is None:
            return frozenset()
        root, suffix = parts
        scope, bindings = self._scopes.lookup(root)
        if scope is None:
            if self._scopes.is_builtin(root.value):
                return frozenset({f"builtins.{root.value}{suffix}"})
            return frozenset()
        meaningful = [b for b in bindings if not self._scopes.assigns_none(b)] or bindings
        return frozenset(canonical(binding_qualname(b, scope) + suffix) for b in meaningful)
