"""What one project module offers the modules that import it: its summary.

The catalog's "The program" (revision 2): a module linted on its own still
sees what `utils.py`, `models.py` or a trainer module do. It sees them
through summaries: for each module-level function, class (and its methods)
and object, the few facts other modules' rules need. A summary is plain data,
written to and read from the disk cache as JSON; `semantic/program/` builds
them from each module's own model and resolves imports to them.

`ProjectView` is how the core asks: "what is `utils.save_on_master`, as
imported by this file?". Without a view (a snippet, an editor buffer outside
a project) every imported project name is unknown, as it always was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Optional, Protocol, Tuple, Union

FORMAT = 8  # bump when the fields below change: cached summaries of another format are ignored


@dataclass(frozen=True)
class FunctionSummary:
    """A function (or method) as its callers see it."""

    params: Tuple[str, ...]  # positional-or-keyword parameter names, in order (`self` included)
    saves_object: Optional[str] = None  # the parameter saved as the object (a save helper)
    saves_path: Optional[str] = None  # the parameter saved to as the path
    forwards_save: bool = False  # passes `*args, **kwargs` to a save (`save_on_master`)
    builds_checkpoint: bool = False  # saves an object it builds itself (a path-only helper)
    save_guarded: bool = False  # its save runs only under a rank guard inside it (`save_on_master`)
    save_per_rank: bool = False  # what its save writes, or where, depends on the rank
    returns_kind: Optional[str] = None  # every return has this kind ("model", "optimizer"...)
    returns_parameter: Optional[str] = None  # every return gives this parameter back (`return model.to(d)`)
    returns_rank_test: bool = False  # `def is_main_process(): return get_rank() == 0`
    returns_rank: bool = False  # `def get_rank(): ... return dist.get_rank()`
    seeds: Tuple[str, ...] = ()  # the RNGs it seeds ("torch", "random", "numpy")
    seed_parameter: Optional[str] = None  # the parameter it seeds with
    requests_determinism: bool = False  # sets `cudnn.deterministic = True` or deterministic algorithms
    starts_process_group: bool = False
    trains: bool = False  # runs `backward()` or an optimizer step
    syncs: bool = False  # runs a collective (a barrier)
    sets_epoch: bool = False  # calls `set_epoch` on something


@dataclass(frozen=True)
class ClassSummary:
    kind: Optional[str] = None  # the kind of its instances ("model" for an `nn.Module` subclass)
    methods: Dict[str, FunctionSummary] = field(default_factory=dict)
    # The kinds of its instances' attributes, where known: `self.x` assigned in the class or its
    # bases, and `@property`s (`self.optimizer` of a runner that builds it on first use).
    attributes: Dict[str, str] = field(default_factory=dict)
    # The one class of another module it derives from, as its module's imports name it, when every
    # other base on the way is of its module: a method it does not define (nor its module's bases,
    # whose methods are in `methods`) is that class's.
    base: Optional[str] = None


@dataclass(frozen=True)
class ObjectSummary:
    kind: Optional[str] = None  # a module-level object: `model = Net()` is a "model"


Symbol = Union[FunctionSummary, ClassSummary, ObjectSummary]


@dataclass(frozen=True)
class ModuleSummary:
    functions: Dict[str, FunctionSummary] = field(default_factory=dict)
    classes: Dict[str, ClassSummary] = field(default_factory=dict)
    objects: Dict[str, ObjectSummary] = field(default_factory=dict)
    # Names the module imports and so offers again (`from .misc import save_on_master` in an
    # `__init__.py`), by the qualified name the import gives them (relative ones keep their dots).
    imports: Dict[str, str] = field(default_factory=dict)


class ProjectView(Protocol):
    """The project as one linted file sees it."""

    def resolve(self, qualname: str) -> Optional[Symbol]:
        """The project function, class or object that ``qualname`` (as this file's imports name it:
        `utils.save_on_master`, `.misc.is_main_process`) refers to; None outside the project."""

    def may_give(self, qualname: str, words: FrozenSet[str]) -> bool:
        """Whether the code ``qualname`` leads to, and the code it reaches in turn, may hold one of
        ``words``: False only when it cannot (then no fact read off those words can hold of it,
        and its summary is not needed to tell)."""
