"""Python's scopes for one module: which names each scope binds, and where a name resolves.

Built from the tree's lists (no walk of its own). A scope is the module, a
function, a lambda, a class body or a comprehension. A scope *binds* a name
when it assigns it in any form (`=`, `+=`, annotated assignment, `for`,
`with ... as`, `except ... as`, `import`, `def`, `class`, a parameter, `:=`,
a `match` capture), counting `global`/`nonlocal` declarations the way Python
does. Like libcst's scope analysis (and unlike `Bindings`, which follows
statement order), this is flow-insensitive: a scope binds every name it
assigns anywhere. A star import binds, of an outside module, the names the
data knows in it (`aliases.known_names_of`: `from batchgenerators...
file_and_folder_operations import *` binds `join`, which is `os.path.join`),
and nothing of a project module.

A name read in a scope resolves as Python resolves it: the scope itself if it
binds the name, else the enclosing function scopes (class bodies are not
visible from the functions and comprehensions inside them), then the module,
then builtins.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

import libcst as cst
from libcst.helpers import get_full_name_for_node

from ckptlint.semantic.core.tree import COMPREHENSIONS, ScopeOwner, Tree
from ckptlint.semantic.data.aliases import known_names_of

IMPORT, DEFINITION, PARAMETER, ASSIGNMENT = "import", "definition", "parameter", "assignment"


@dataclass(frozen=True, eq=False)
class NameBinding:
    """One place a scope binds a name."""

    name: str
    kind: str  # IMPORT, DEFINITION (def/class), PARAMETER or ASSIGNMENT
    node: cst.CSTNode  # the target `Name`, the `ImportAlias` (`ImportFrom` of a star import), the `FunctionDef`/`ClassDef`, the `Param`
    imported: Optional[str] = None  # for an import: the dotted name it binds (`torch.nn`, `.utils.save`)

    @property
    def level(self) -> int:
        """Leading dots of a relative import (0 for absolute imports and non-imports)."""
        return len(self.imported) - len(self.imported.lstrip(".")) if self.imported else 0


@dataclass(eq=False)
class Scope:
    owner: ScopeOwner
    kind: str  # "module", "function", "lambda", "class", "comprehension"
    parent: Optional["Scope"]
    prefix: str  # the qualified-name prefix of what it binds (`main.<locals>.`)
    bindings: Dict[str, List[NameBinding]] = field(default_factory=dict)
    declared_global: Set[str] = field(default_factory=set)
    declared_nonlocal: Set[str] = field(default_factory=set)

    def binds(self, name: str) -> bool:
        return name in self.bindings


class Scopes:
    """Every scope of a module, the bindings in each, and where each read resolves."""

    def __init__(self, tree: Tree) -> None:
        self._tree = tree
        self.module = Scope(tree.module, "module", None, "")
        self._by_owner: Dict[cst.CSTNode, Scope] = {tree.module: self.module}
        self._stores: Set[int] = set()  # id() of `Name` nodes that are written, not read
        self._not_variables: Set[int] = set()  # attribute names, keywords, import parts...
        self._declare()
        self._bind()
        self._reads: Optional[Dict[int, Dict[str, List[cst.Name]]]] = None

    # -- building ------------------------------------------------------------
    def scope_of_owner(self, owner: cst.CSTNode) -> Scope:
        scope = self._by_owner.get(owner)
        if scope is None:
            parent = self.scope_of_owner(self._tree.owner(owner))
            if isinstance(owner, cst.FunctionDef):
                scope = Scope(owner, "function", parent, f"{parent.prefix}{owner.name.value}.<locals>.")
            elif isinstance(owner, cst.Lambda):
                scope = Scope(owner, "lambda", parent, f"{parent.prefix}<locals>.")
            elif isinstance(owner, cst.ClassDef):
                scope = Scope(owner, "class", parent, f"{parent.prefix}{owner.name.value}.")
            else:
                scope = Scope(owner, "comprehension", parent, f"{parent.prefix}<comprehension>.")
            self._by_owner[owner] = scope
        return scope

    def scope_at(self, node: cst.CSTNode) -> Scope:
        """The scope ``node`` is evaluated in."""
        return self.scope_of_owner(self._tree.owner(node))

    def _declare(self) -> None:
        for statement in self._tree.nodes(cst.Global, cst.Nonlocal):
            scope = self.scope_at(statement)
            names = {item.name.value for item in statement.names}
            (scope.declared_global if isinstance(statement, cst.Global) else scope.declared_nonlocal).update(names)
            self._not_variables.update(id(item.name) for item in statement.names)

    def _target_scope(self, scope: Scope, name: str) -> Scope:
        if name in scope.declared_global:
            return self.module
        if name in scope.declared_nonlocal:
            enclosing = scope.parent
            while enclosing is not None and (enclosing.kind == "class" or not enclosing.binds(name)):
                if enclosing.kind == "module":
                    break
                enclosing = enclosing.parent
            return enclosing or scope
        return scope

    def _add(self, scope: Scope, name: str, kind: str, node: cst.CSTNode, imported: Optional[str] = None) -> None:
        target = self._target_scope(scope, name)
        target.bindings.setdefault(name, []).append(NameBinding(name, kind, node, imported))

    def _add_targets(self, scope: Scope, target: cst.CSTNode, node_for: Optional[cst.CSTNode] = None) -> None:
        """Bind every name a target pattern assigns (`a`, `a, (b, *c)`); attributes and subscripts bind nothing."""
        stack = [target]
        while stack:
            current = stack.pop()
            if isinstance(current, cst.Name):
                self._stores.add(id(current))
                self._add(scope, current.value, ASSIGNMENT, current)
            elif isinstance(current, (cst.Tuple, cst.List)):
                stack.extend(element.value for element in current.elements)
            elif isinstance(current, cst.StarredElement):
                stack.append(current.value)

    def _bind(self) -> None:
        tree = self._tree
        for node in tree.nodes(cst.Assign):
            scope = self.scope_at(node)
            for target in node.targets:
                self._add_targets(scope, target.target)
        for node in tree.nodes(cst.AnnAssign, cst.AugAssign):
            self._add_targets(self.scope_at(node), node.target)
        for node in tree.nodes(cst.For):
            self._add_targets(self.scope_at(node), node.target)
        for node in tree.nodes(cst.CompFor):
            self._add_targets(self.scope_at(node.target), node.target)
        for node in tree.nodes(cst.WithItem):
            if node.asname is not None:
                self._add_targets(self.scope_at(node), node.asname.name)
        for node in tree.nodes(cst.ExceptHandler, cst.ExceptStarHandler):
            if node.name is not None:
                self._add_targets(self.scope_at(node), node.name.name)
        for node in tree.nodes(cst.NamedExpr):
            scope = self.scope_at(node)
            while scope.kind == "comprehension" and scope.parent is not None:
                scope = scope.parent  # `:=` in a comprehension binds in the enclosing scope
            self._add_targets(scope, node.target)
        for node in tree.nodes(cst.MatchAs, cst.MatchStar):
            if node.name is not None:
                self._add_targets(self.scope_at(node), node.name)
        for node in tree.nodes(cst.MatchMapping):
            if node.rest is not None:
                self._add_targets(self.scope_at(node), node.rest)
        for node in tree.nodes(cst.FunctionDef, cst.ClassDef):
            self._not_variables.add(id(node.name))
            self._add(self.scope_at(node), node.name.value, DEFINITION, node)
        for node in tree.nodes(cst.Param):
            self._not_variables.add(id(node.name))
            function = tree.parent(tree.parent(node))  # Param -> Parameters -> FunctionDef / Lambda
            self._add(self.scope_of_owner(function), node.name.value, PARAMETER, node)
        self._bind_imports()
        self._mark_non_variables()

    def _bind_imports(self) -> None:
        tree = self._tree
        for statement in tree.nodes(cst.Import, cst.ImportFrom):
            scope = self.scope_at(statement)
            self._not_variables.update(id(name) for name in tree.nodes_within(statement, cst.Name))
            if isinstance(statement, cst.Import):
                for alias in statement.names:
                    dotted = get_full_name_for_node(alias.name) or ""
                    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                        self._add(scope, alias.asname.name.value, IMPORT, alias, dotted)
                    else:
                        first = dotted.split(".", 1)[0]
                        self._add(scope, first, IMPORT, alias, first)  # `import a.b` binds `a`
                continue
            if isinstance(statement.names, cst.ImportStar):
                module = get_full_name_for_node(statement.module) if statement.module is not None and not statement.relative else None
                for name in known_names_of(module) if module else ():
                    self._add(scope, name, IMPORT, statement, f"{module}.{name}")
                continue
            base = "." * len(statement.relative)
            if statement.module is not None:
                base += get_full_name_for_node(statement.module) or ""
            for alias in statement.names:
                name = get_full_name_for_node(alias.name) or ""
                imported = f"{base}{name}" if base.endswith(".") else f"{base}.{name}"
                bound = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) else name
                self._add(scope, bound, IMPORT, alias, imported)

    def _mark_non_variables(self) -> None:
        tree = self._tree
        skip = self._not_variables
        for node in tree.nodes(cst.Attribute):
            skip.add(id(node.attr))
        for node in tree.nodes(cst.Arg):
            if node.keyword is not None:
                skip.add(id(node.keyword))
        for node in tree.nodes(cst.MatchKeywordElement):
            skip.add(id(node.key))
        for node in tree.nodes(cst.Del):  # `del x` neither reads nor binds `x`
            targets = node.target.elements if isinstance(node.target, (cst.Tuple, cst.List)) else [node.target]
            skip.update(id(t.value if isinstance(t, cst.Element) else t) for t in targets)

    # -- reading -----------------------------------------------------------
    def is_read(self, name: cst.Name) -> bool:
        """``name`` is a variable read (not written, not an attribute or keyword name)."""
        key = id(name)
        return key not in self._stores and key not in self._not_variables

    def is_written(self, name: cst.Name) -> bool:
        return id(name) in self._stores

    def resolve(self, name: str, scope: Scope) -> Optional[Scope]:
        """The scope whose binding of ``name`` a read in ``scope`` sees; None for builtins or unbound names."""
        if name in scope.declared_global:
            return self.module if self.module.binds(name) else None
        if name in scope.declared_nonlocal:
            return self._target_scope(scope, name)
        if scope.binds(name):
            return scope
        current = scope.parent
        while current is not None:
            if current.kind != "class":
                if name in current.declared_global:
                    return self.module if self.module.binds(name) else None
                if current.binds(name):
                    return current
            current = current.parent
        return None

    def lookup(self, name: cst.Name) -> Tuple[Optional[Scope], Tuple[NameBinding, ...]]:
        """Where the variable ``name`` resolves, and every binding of it there."""
        scope = self.scope_at(name)
        if self.is_written(name):
            target = self._target_scope(scope, name.value)
            return target, tuple(b for b in target.bindings.get(name.value, ()) if b.node is name) or tuple(
                target.bindings.get(name.value, ())
            )
        found = self.resolve(name.value, scope)
        if found is None:
            return None, ()
        return found, tuple(found.bindings[name.value])

    def assigns_none(self, binding: NameBinding) -> bool:
        """``binding`` is `name = None` (a placeholder, as in `except ImportError: hvd = None`)."""
        if binding.kind != ASSIGNMENT:
            return False
        target = self._tree.parent(binding.node)
        statement = self._tree.parent(target) if isinstance(target, cst.AssignTarget) else None
        value = statement.value if isinstance(statement, cst.Assign) else None
        return isinstance(value, cst.Name) and value.value == "None"

    @staticmethod
    def is_builtin(name: str) -> bool:
        return hasattr(builtins, name)

    # -- reads of a variable -------------------------------------------------
    def reads_of(self, scope: Scope, name: str) -> List[cst.Name]:
        """Every read of ``name`` that resolves to ``scope``'s binding, in source order."""
        if self._reads is None:
            self._reads = self._index_reads()
        return list(self._reads.get(id(scope), {}).get(name, ()))

    def _index_reads(self) -> Dict[int, Dict[str, List[cst.Name]]]:
        table: Dict[int, Dict[str, List[cst.Name]]] = {}
        for node in self._tree.nodes(cst.Name):
            if not self.is_read(node):
                continue
            resolved = self.resolve(node.value, self.scope_at(node))
            if resolved is not None:
                table.setdefault(id(resolved), {}).setdefault(node.value, []).append(node)
        return table

    def function_scopes(self) -> Iterable[Scope]:
        return (s for s in self._by_owner.values() if s.kind == "function")

    def names_bound(self, scope: Scope) -> FrozenSet[str]:
        return frozenset(scope.bindings)


def is_comprehension(node: cst.CSTNode) -> bool:
    return isinstance(node, COMPREHENSIONS)
