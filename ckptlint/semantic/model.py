"""The semantic model: every fact a rule may read, computed once per file.

The model is the module's core (`core/module.py`: tree, scopes, names,
bindings, call graph, flows, positions) plus the facts built on it
(`facts/`). This is the only module that wires them: each fact is built on
first use from the core and the facts its constructor names, so the cost of
a lint is the cost of what the selected rules read, and the dependencies
between facts are visible here and nowhere else:

    kinds(core)                      buffers(core)          loops(core)
    saves(core, buffers)             checkpoints(core, kinds, saves)
    paths(core, saves, loops)        distributed(core, kinds, loops)
    guards(core, distributed)        resume(core, loops, buffers)
    files(core, resume, kinds, checkpoints)                 dataloaders(core, loops)
    seeding(core)  fsdp_policy(core)
"""

from __future__ import annotations

import functools
from functools import cached_property
from typing import Dict, Optional, Tuple

import libcst as cst

from ckptlint.config.settings import ProjectSettings
from ckptlint.semantic.core.module import ModuleCore
from ckptlint.semantic.core.summary import ProjectView
from ckptlint.semantic.facts.buffers import Buffers
from ckptlint.semantic.facts.checkpoints import Checkpoints
from ckptlint.semantic.facts.dataloaders import DataLoaders
from ckptlint.semantic.facts.files import CheckpointFiles
from ckptlint.semantic.facts.distributed import DistributedFacts
from ckptlint.semantic.facts.fsdp import FsdpPolicy
from ckptlint.semantic.facts.guards import Guards
from ckptlint.semantic.facts.kinds import ObjectKinds
from ckptlint.semantic.facts.loops import Loops
from ckptlint.semantic.facts.paths import PathFacts
from ckptlint.semantic.facts.resume import Resume
from ckptlint.semantic.facts.saves import Saves
from ckptlint.semantic.facts.seeding import Seeding


class SemanticModel(ModuleCore):
    """Read-only facts about one module, shared by every rule."""

    def __init__(
        self,
        module: cst.Module,
        text: str,
        project: Optional[ProjectSettings] = None,
        view: Optional[ProjectView] = None,
    ) -> None:
        super().__init__(module, text, project, view)
        self._deciding: Dict[int, Saves] = {}  # `saves_deciding`, by id() of the function
        self._holders = 1  # who will `close` it: whoever built it, and each lint it was lent to

    @cached_property
    def kinds(self) -> ObjectKinds:
        """What objects are (model, optimizer...), built, used and passed."""
        return ObjectKinds(self._core_view)

    @cached_property
    def buffers(self) -> Buffers:
        """In-memory buffers and broadcast objects: what saves write into and loads read from that is no file."""
        return Buffers(self._core_view)

    @cached_property
    def saves(self) -> Saves:
        """Save sites: `torch.save`, Accelerate's and Fabric's saves, helpers, `save-functions`."""
        return Saves(self._core_view, self.buffers)

    def saves_deciding(self, function: cst.FunctionDef) -> Saves:
        """The save sites that decide whether ``function`` is a save helper, and its parameters:
        `saves`, but of other modules' functions only those that ``function`` calls, directly or
        through this module's functions (a summary's question: what other modules' saves the rest
        of the module calls does not matter to it, and is not summarised to tell)."""
        if "saves" in self.__dict__:
            return self.saves  # computed for the whole module already: the same answer
        known = self._deciding.get(id(function))
        if known is None:
            known = self._deciding[id(function)] = Saves(self._core_view, self.buffers, self.callgraph.run_by(function))
        return known

    @cached_property
    def checkpoints(self) -> Checkpoints:
        """What each save writes, and what is in scope there."""
        return Checkpoints(self._core_view, self.kinds, self.saves)

    @cached_property
    def loops(self) -> Loops:
        """`for` loops: epoch loop, batch loops, enclosing loops, training steps."""
        return Loops(self._core_view)

    @cached_property
    def paths(self) -> PathFacts:
        """Path values of the saves, directory creation and deletions (CKPT109, CKPT5xx)."""
        return PathFacts(self._core_view, self.saves, self.loops)

    @cached_property
    def distributed(self) -> DistributedFacts:
        """Is this a distributed script; collective state; shuffling distributed samplers."""
        return DistributedFacts(self._core_view, self.kinds, self.loops)

    @cached_property
    def guards(self) -> Guards:
        """Rank guards (with the project's `rank-guards`) and barriers."""
        return Guards(self._core_view, self.distributed)

    @cached_property
    def resume(self) -> Resume:
        """Load sites, what is read from them and what they restore."""
        return Resume(self._core_view, self.loops, self.buffers)

    @cached_property
    def files(self) -> CheckpointFiles:
        """Which saves and loads name the same file, and which load reads a save back."""
        return CheckpointFiles(self._core_view, self.resume, self.kinds, self.checkpoints, self.saves)

    @cached_property
    def seeding(self) -> Seeding:
        """What the module seeds, its global RNG draws and cuDNN settings (CKPT4xx)."""
        return Seeding(self._core_view)

    @cached_property
    def dataloaders(self) -> DataLoaders:
        return DataLoaders(self._core_view, self.loops)

    @cached_property
    def fsdp_policy(self) -> FsdpPolicy:
        return FsdpPolicy.build(self._core_view)

    def lend(self) -> "SemanticModel":
        """The model, for one more holder (the lint of a module whose summary built it); each
        holder closes it once."""
        self._holders += 1
        return self

    def close(self) -> None:
        """A holder is done with the model; the last one lets the facts go. Each fact keeps the
        model it reads and the model keeps each fact: a reference cycle that holds the syntax tree
        until Python's cycle collector walks it, which costs most of a run's time once the run
        holds the project's outlines and summaries. Dropped here, the tree is freed at once. A fact
        read afterwards is computed again, as new objects: a holder that keeps any fact's objects
        (a finding's fix still to build) must not close the model."""
        self._holders -= 1
        if self._holders > 0:
            return
        for name in _cached_names(type(self)):
            self.__dict__.pop(name, None)
        self._deciding.clear()

    @property
    def _core_view(self) -> ModuleCore:
        """The core that facts receive: this object, typed (and checked by a test) as the core only."""
        return self


@functools.lru_cache(maxsize=None)
def _cached_names(model_class: type) -> Tuple[str, ...]:
    """The model's attributes computed on first use (facts, and the core's own)."""
    return tuple(name for klass in model_class.__mro__ for name, value in vars(klass).items() if isinstance(value, cached_property))
