"""Which saves and loads name the same checkpoint file, and which load reads a save back.

A load reads what a save writes when both name the same path: the same
expression, variable, argument or attribute (catalog, CKPT205 and CKPT302):
- two names are the same variable (one scope), or the same parameter name of
  two functions (`path` passed to both a save and a load helper);
- two attribute chains (`self.ckpt_path`, `args.resume`) are spelled the same
  and start at the same variable, at `self` of one class, or at parameters of
  the same name (`args` handed from function to function);
- two string literals are equal; any other expression is spelled the same, in
  the same function.
A load *reads a save back* (CKPT302) when it runs after it: later in the same
function, anywhere in a loop that holds both (the next iteration), or in a
caller of the save's function after the call that saved.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

import libcst as cst

from ckptlint.semantic.core.module import ModuleCore
from ckptlint.semantic.core.scopes import PARAMETER, NameBinding
from ckptlint.semantic.facts.resume import LoadSite, Resume
from ckptlint.semantic.facts.saves import SaveSite

_CALLER_DEPTH = 2


class CheckpointFiles:
    def __init__(self, core: ModuleCore, resume: Resume) -> None:
        self._core = core
        self._resume = resume

    def same_file(self, a: Optional[cst.BaseExpression], b: Optional[cst.BaseExpression]) -> bool:
        """``a`` and ``b`` name the same path (see the module docstring)."""
        if a is None or b is None:
            return False
        core = self._core
        if core.code(a) != core.code(b):
            return False
        if isinstance(a, (cst.SimpleString, cst.ConcatenatedString)):
            return True  # the same literal names the same file wherever it is written
        root_a, root_b = _root(a), _root(b)
        if root_a is None or root_b is None:
            tree = core.tree
            return tree.enclosing_function(a) is tree.enclosing_function(b)
        return self._same_root(root_a, root_b)

    def _same_root(self, a: cst.Name, b: cst.Name) -> bool:
        scopes, callgraph, tree = self._core.scopes, self._core.callgraph, self._core.tree
        scope_a, bindings_a = scopes.lookup(a)
        scope_b, bindings_b = scopes.lookup(b)
        if scope_a is scope_b:
            return True  # one variable (or the same unbound global)
        function_a, function_b = tree.enclosing_function(a), tree.enclosing_function(b)
        if function_a is not None and function_b is not None:
            self_a, self_b = callgraph.self_name(function_a), callgraph.self_name(function_b)
            if self_a == a.value and self_b == b.value:
                class_a, class_b = tree.class_of(function_a), tree.class_of(function_b)
                return class_a is not None and class_b is not None and (
                    class_b in callgraph.bases(class_a) or class_a in callgraph.bases(class_b)
                )
        return _is_parameter(bindings_a) and _is_parameter(bindings_b)

    def loads_of(self, save: SaveSite) -> List[LoadSite]:
        """The loads that read the file ``save`` writes."""
        return [load for load in self._resume.loads if self.same_file(save.path, self._resume.load_path(load))]

    def reads_back(self, save: SaveSite, load: LoadSite) -> bool:
        """``load`` runs after ``save`` (see the module docstring)."""
        return self._runs_after(save.call, load.call, 0)

    def _runs_after(self, node: cst.CSTNode, load: cst.Call, depth: int) -> bool:
        tree = self._core.tree
        function = tree.enclosing_function(node)
        if tree.enclosing_function(load) is function:
            if tree.before(node, load):
                return True
            loop = tree.enclosing(node, (cst.For, cst.While), stop=(cst.FunctionDef,))
            while loop is not None:
                if tree.contains(loop, load):
                    return True
                loop = tree.enclosing(loop, (cst.For, cst.While), stop=(cst.FunctionDef,))
        if function is None or depth >= _CALLER_DEPTH:
            return False
        return any(self._runs_after(call, load, depth + 1) for call in self._core.callgraph.callers(function))


def _root(expr: cst.BaseExpression) -> Optional[cst.Name]:
    while isinstance(expr, cst.Attribute):
        expr = expr.value
    return expr if isinstance(expr, cst.Name) else None


def _is_parameter(bindings: Tuple[NameBinding, ...]) -> bool:
    return bool(bindings) and all(b.kind == PARAMETER for b in bindings)
