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

The *loads of a checkpoint* (`loads_of_checkpoint`: the loads a fix that
changes what a save writes must change too, catalog revision 2, "A fix keeps
the program working") are the loads of the same path, where a load's path
that is a parameter of its function also names what the function's callers
in this file pass for it (`def resume(self, path)` called as
`trainer.resume("last.pt")`), the loads whose path is spelled as the save's
in another method of the same class (`str(path)` in `save(self, path)` and
in `load(self, path)`), and, for a save of a checkpoint dict, the
*resume loads* that read it by its keys: a load that restores an optimizer,
scheduler or scaler, sits under a resume flag or starts the epoch loop, and
reads only keys the checkpoint writes (at least one), unless both paths name
a checkpoint file and the names differ (`"best.pt"`, `"last.pt"`). A path a
user chooses (`torch.load(args.resume)`) is never spelled as the save's path:
the keys are what ties them. `saves_of_load` is the converse.
"""

from __future__ import annotations

import os
from functools import cached_property
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple

import libcst as cst

from ckptlint.semantic.core.module import ModuleCore
from ckptlint.semantic.core.scopes import PARAMETER, NameBinding
from ckptlint.semantic.core.syntax import string_value
from ckptlint.semantic.facts.checkpoints import Checkpoints
from ckptlint.semantic.facts.kinds import Kind, ObjectKinds
from ckptlint.semantic.facts.resume import LoadSite, Resume
from ckptlint.semantic.facts.saves import Saves, SaveSite

_CALLER_DEPTH = 2
# What a checkpoint file is called (a literal with one of these suffixes names one file).
CHECKPOINT_SUFFIXES = (".pt", ".pth", ".ckpt", ".tar", ".bin", ".pkl", ".safetensors")
TRAINING_STATE = (Kind.OPTIMIZER, Kind.SCHEDULER, Kind.SCALER)


class CheckpointFiles:
    def __init__(self, core: ModuleCore, resume: Resume, kinds: ObjectKinds, checkpoints: Checkpoints, saves: Saves) -> None:
        self._core = core
        self._resume = resume
        self._kinds = kinds
        self._checkpoints = checkpoints
        self._saves = saves
        self._loads_of: Dict[Tuple[int, bool], Tuple[LoadSite, ...]] = {}
        self._names: Dict[int, List[cst.BaseExpression]] = {}  # by id() of a load's call

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

    def saves_of_path(self, path: cst.BaseExpression) -> List[SaveSite]:
        """The saves whose path names the file ``path`` names (`same_file`), in source order. Only
        the same spelling can name the same file, so the saves are looked up by spelling: a file
        with a save and a load per function costs linear time, not one check per pair."""
        return [save for save in self._saves_by_spelling.get(self._core.code(path), ()) if self.same_file(save.path, path)]

    @cached_property
    def _saves_by_spelling(self) -> Dict[str, List[SaveSite]]:
        found: Dict[str, List[SaveSite]] = {}
        for save in self._saves.sites:
            if save.path is not None:
                found.setdefault(self._core.code(save.path), []).append(save)
        return found

    def loads_of(self, save: SaveSite) -> List[LoadSite]:
        """The loads that read the file ``save`` writes."""
        if save.path is None:
            return []
        candidates = self._loads_by_name.get(self._core.code(save.path), ())
        return [load for load in candidates if self.same_file(save.path, self._resume.load_path(load))]

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

    # -- the loads of a checkpoint (paired edits) -----------------------------
    def loads_of_checkpoint(self, save: SaveSite, any_reader: bool = False) -> Tuple[LoadSite, ...]:
        """The loads that read the file ``save`` writes (see the module docstring), in source order;
        with ``any_reader``, a load that reads only the checkpoint's keys counts even when it is no
        resume load (to withhold a fix that would break it, never to add code to it)."""
        key = (id(save), any_reader)
        if key not in self._loads_of:
            self._loads_of[key] = tuple(load for load in self._candidates(save) if self._reads_file_of(save, load, any_reader))
        return self._loads_of[key]

    def _candidates(self, save: SaveSite) -> Sequence[LoadSite]:
        """The loads that may read ``save``'s file, in source order: every load when the save
        writes a dict with keys (a resume load is tied to it by the keys it reads), else the loads
        one of whose names is spelled as the save's path (`same_file` and one class's spelling
        need the same spelling): one lookup, not one check per load."""
        checkpoint = self._checkpoints.of(save)
        if checkpoint is not None and checkpoint.top_keys:
            return self._resume.loads
        return self._loads_by_name.get(self._core.code(save.path), ()) if save.path is not None else ()

    @cached_property
    def _loads_by_name(self) -> Dict[str, List[LoadSite]]:
        """The loads by the spelling of each name of their path (`_names_of`), in source order."""
        found: Dict[str, List[LoadSite]] = {}
        for load in self._resume.loads:
            for spelling in {self._core.code(name) for name in self._load_names(load, self._resume.load_path(load))}:
                found.setdefault(spelling, []).append(load)
        return found

    def saves_of_load(self, saves: List[SaveSite], load: LoadSite, any_reader: bool = False) -> Tuple[SaveSite, ...]:
        """The saves among ``saves`` whose file ``load`` reads."""
        return tuple(save for save in saves if load in self.loads_of_checkpoint(save, any_reader))

    def is_resume(self, load: LoadSite) -> bool:
        """The catalog's resume load (its restores' receivers' kinds decide the first clause)."""
        restores_state = any(
            (kind := self._kinds.of(restore.receiver)) is not None and kind.kind in TRAINING_STATE
            for restore in load.restores
        )
        return self._resume.is_resume(load, restores_state)

    def _reads_file_of(self, save: SaveSite, load: LoadSite, any_reader: bool) -> bool:
        path = self._resume.load_path(load)
        if any(self.same_file(save.path, named) for named in self._load_names(load, path)):
            return True
        return self._same_class_spelling(save, path) or self._by_keys(save, load, path, any_reader)

    def _same_class_spelling(self, save: SaveSite, path: Optional[cst.BaseExpression]) -> bool:
        """`torch.save(obj, str(path))` in `save(self, path)` and `torch.load(str(path))` in
        `load(self, path)`: one spelling in two methods of one class."""
        if save.path is None or path is None or self._core.code(save.path) != self._core.code(path):
            return False
        tree = self._core.tree
        function = tree.enclosing_function(path)
        return (
            save.class_def is not None
            and function is not None
            and tree.class_of(function) is save.class_def
        )

    def _load_names(self, load: LoadSite, path: Optional[cst.BaseExpression]) -> List[cst.BaseExpression]:
        """`_names_of` a load's path, once per load (every save of the file is checked against it)."""
        key = id(load.call)
        if key not in self._names:
            self._names[key] = self._names_of(path, 0)
        return self._names[key]

    def _names_of(self, path: Optional[cst.BaseExpression], depth: int) -> List[cst.BaseExpression]:
        """``path``, and when it is a parameter, what the function's callers pass for it."""
        if path is None:
            return []
        found = [path]
        if not isinstance(path, cst.Name) or depth >= _CALLER_DEPTH:
            return found
        binding = self._core.bindings.reaching(path.value, path)
        function = self._core.tree.enclosing_function(path)
        if binding is None or not binding.is_parameter or function is None:
            return found
        for call in self._core.callgraph.callers(function):
            bound = self._core.callgraph.bind(call, function)
            argument = bound.value(path.value) if bound is not None else None
            found.extend(self._names_of(argument, depth + 1))
        return found

    def _by_keys(self, save: SaveSite, load: LoadSite, path: Optional[cst.BaseExpression], any_reader: bool) -> bool:
        checkpoint = self._checkpoints.of(save)
        keys = self._resume.keys_read(load)
        if checkpoint is None or not keys or not keys <= checkpoint.top_keys:
            return False
        names_a, names_b = self._file_names(save.path), self._file_names(path)
        if names_a and names_b and not names_a & names_b:
            return False  # `"best.pt"` is not `"last.pt"`
        return any_reader or self.is_resume(load)

    def _file_names(self, path: Optional[cst.BaseExpression]) -> FrozenSet[str]:
        """The checkpoint file names the literals of ``path`` spell (through the name it is bound to)."""
        if path is None:
            return frozenset()
        if isinstance(path, cst.Name):
            binding = self._core.bindings.reaching(path.value, path)
            path = binding.value if binding is not None and binding.value is not None else path
        found = set()
        for node in self._core.tree.nodes_within(path, cst.SimpleString):  # an f-string's name is not known
            name = os.path.basename(string_value(node) or "")
            if name.endswith(CHECKPOINT_SUFFIXES):
                found.add(name)
        return frozenset(found)


def _root(expr: cst.BaseExpression) -> Optional[cst.Name]:
    while isinstance(expr, cst.Attribute):
        expr = expr.value
    return expr if isinstance(expr, cst.Name) else None


def _is_parameter(bindings: Tuple[NameBinding, ...]) -> bool:
    return bool(bindings) and all(b.kind == PARAMETER for b in bindings)
