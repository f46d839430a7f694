"""A file's view of its project: how one lint reads the other modules (the core's `ProjectView`).

A name the file imports is resolved as Python would (`utils.save_on_master`,
through `__init__.py` re-exports, to the module that defines it) and read off
that module's summary (`index.py`); the view records every module file it
read, directly or behind a summary, with its content digest (`reads`), which
is what the file's cached result and an editor's re-lints depend on. The
pre-filter asks it for the words of the code the file reaches (`reach.py`).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Callable, Dict, FrozenSet, List, Mapping, NamedTuple, Optional, Protocol, Set, Tuple

from ckptlint.config.settings import ProjectSettings
from ckptlint.semantic.core.summary import ClassSummary, ModuleSummary, Symbol
from ckptlint.semantic.core.words import SourceWords, Words
from ckptlint.semantic.program.locate import ModuleLocator, folder_key
from ckptlint.semantic.program.reach import Closure, Name, ReachWords

if TYPE_CHECKING:
    from ckptlint.semantic.model import SemanticModel

_IMPORT_HOPS = 4  # re-exports followed through `__init__.py` files, and classes to their bases


class Reads:
    """Module files (and folders, `locate.folder_key`) read, with their digests then: one view's
    own, and those behind the summaries it read, which grow as their facts are computed."""

    _changes = 0  # of every `Reads` in the process: what `flat` keeps is good while it holds

    def __init__(self, own: Optional[Mapping[str, str]] = None) -> None:
        self._own: Dict[str, str] = dict(own or {})
        self._behind: List["Reads"] = []
        self._flat: Tuple[int, Dict[str, str]] = (-1, {})

    def record(self, path: str, digest: str) -> None:
        if self._own.get(path) != digest:
            self._own[path] = digest
            Reads._changes += 1

    def has_own(self, path: str) -> bool:
        return path in self._own

    def add(self, other: "Reads") -> None:
        if other is not self and not any(known is other for known in self._behind):
            self._behind.append(other)
            Reads._changes += 1

    def flat(self) -> Dict[str, str]:
        """Everything read, behind summaries too (a summary may read, in turn, the one reading it)."""
        if self._flat[0] == Reads._changes:
            return self._flat[1]
        found: Dict[str, str] = {}
        seen: Set[int] = set()
        stack: List[Reads] = [self]
        while stack:
            reads = stack.pop()
            if id(reads) not in seen:
                seen.add(id(reads))
                for path, digest in reads._own.items():
                    found.setdefault(path, digest)
                stack.extend(reversed(reads._behind))
        self._flat = (Reads._changes, found)
        return found


class Summarised(NamedTuple):
    """A module's summary (None: the module is unknown) and what it was built from."""

    digest: str  # of the module's text
    summary: Optional[ModuleSummary]
    reads: Reads  # every other module file its facts were computed from (transitively) -> content digest


class Index(Protocol):
    """What a view reads of its project's index (`index.ProjectIndex`)."""

    locator: ModuleLocator

    def summary(self, path: str) -> Optional[Summarised]: ...

    def reached(self, path: str, text: str, looked: Callable[[str], None]) -> Closure: ...

    def finds(self, name: Name, words: FrozenSet[str]) -> Tuple[bool, Mapping[str, Optional[str]]]: ...

    def take_model(self, path: str, text: str, project: ProjectSettings) -> "Optional[SemanticModel]": ...

    def digest(self, path: str) -> Optional[str]: ...

    def defines_at_hand(self, path: str, name: str) -> bool: ...

    def has_summary(self, path: str) -> bool: ...


class FileView:
    """The project as one file sees it (the core's `ProjectView`)."""

    def __init__(self, index: Index, path: str) -> None:
        self._index = index
        self.path = path
        # module file -> content digest, for every summary read; a folder an import looked in
        # (`locate.folder_key`) -> the digest of its module names (`locate.module_names`)
        self.live_reads = Reads()
        self._frozen: Optional[Dict[str, str]] = None
        # Each module file is read and hashed once per view (one lint): a lint resolves many names
        # of one module, and the module cannot change in between as far as this lint is concerned.
        self._seen: Dict[str, Optional[ModuleSummary]] = {}
        self._words: Optional[Tuple[str, Words]] = None

    @property
    def reads(self) -> Dict[str, str]:
        """Every module file read, directly or behind a summary, with its content digest then (a
        summary's facts are computed when first read: what they read is known only afterwards)."""
        if self._frozen is not None:
            return dict(self._frozen)
        return dict(self.live_reads.flat())

    def summarised(self) -> List[str]:
        """The module files among `reads` whose summaries the index holds: the others were only
        looked at (their code for the pre-filter, their names for a fact's words) or are folders."""
        return [path for path in self.reads if self._index.has_summary(path)]

    def freeze(self) -> None:
        """What the lint read is final: `reads` gives it from now on, also in another thread while
        this one computes other summaries' facts (which may add to what they read)."""
        self._frozen = self.live_reads.flat()

    def resolve(self, qualname: str) -> Optional[Symbol]:
        return self._resolve(self.path, qualname, 0)

    def words(self, text: str, local_only: FrozenSet[str] = frozenset()) -> Words:
        """The words of ``text`` and of the code it reaches in other project modules (but for the
        words of ``local_only``, the text's alone): what the pre-filter reads, since a fact about
        an imported name comes from that code. Asked once per lint (the file's pre-filter, then
        its rules'), built once."""
        if self._words is None or self._words[0] is not text:
            # The walk is told of each module it reads through the view's reads, not the view: the
            # view keeps its words, and a callback holding the view would make a cycle that only the
            # cycle collector frees (with each lint's whole walk; the corpus's peak rose 7 MiB).
            looked = functools.partial(_looked_at, self._index, self.live_reads)
            reached = functools.partial(self._index.reached, self.path, text, looked)
            self._words = (text, ReachWords(SourceWords(text), reached, local_only))
        return self._words[1]

    def own_model(self, text: str, project: ProjectSettings) -> "Optional[SemanticModel]":
        """The model of ``text`` built for this file's summary earlier in the run, if kept
        (`ProjectIndex.take_model`); it reads the project through a view of this same file."""
        return self._index.take_model(self.path, text, project)

    def digest(self, path: str) -> Optional[str]:
        """The content digest of the module file ``path`` now (of a folder, `locate.folder_key`:
        of the module files it holds); None when it cannot be read."""
        return self._index.digest(path)

    def may_give(self, qualname: str, words: FrozenSet[str]) -> bool:
        """Whether the code ``qualname`` leads to (as `resolve` reads it), and the code that code
        reaches, may hold one of ``words``: False only when it cannot, and then no summary is read
        to tell (the module files looked at count as read). Asked only where the summary would
        have to be built: one in memory or in the cache is read instead."""
        located = self._locate(self.path, qualname)
        if located is None:
            return True  # `resolve` finds nothing there either
        module, rest = located
        if self._index.defines_at_hand(module, rest[0]):
            return True  # the summary tells exactly, for less than the walk
        found, looked = self._index.finds((module, rest[0], rest[1:]), words)
        if not found:
            for path, digest in looked.items():
                if digest is not None:
                    self.live_reads.record(path, digest)
        return found

    def _resolve(self, importer: str, qualname: str, hops: int) -> Optional[Symbol]:
        located = self._locate(importer, qualname)
        if located is None:
            return None
        module, rest = located
        if len(rest) == 2:
            summary = self._summary(module)
            cls: Optional[ClassSummary] = summary.classes.get(rest[0]) if summary is not None else None
            if cls is not None:
                method = cls.methods.get(rest[1])
                if method is None and cls.base is not None and hops < _IMPORT_HOPS:
                    return self._resolve(module, f"{cls.base}.{rest[1]}", hops + 1)  # inherited
                return method
        return self._attribute(module, rest, hops)

    def _locate(self, importer: str, qualname: str) -> Optional[Tuple[str, Tuple[str, ...]]]:
        """The module file ``qualname`` is in, as ``importer`` names it, and the attributes after
        it; None for the file itself, a module object, or outside the project."""
        located = self._index.locator.locate(importer, qualname)
        self._read_folders(importer, qualname)
        if located is None:
            return None
        module, rest = located
        if not rest and "." in qualname.strip("."):
            # `pkg.train` names the submodule `pkg/train.py`, unless `pkg/__init__.py` binds `train`
            # itself (`from .train import train`): Python's attribute lookup finds the package's name.
            package, _, last = qualname.rpartition(".")
            located = self._index.locator.locate(importer, package)
            if located is None or located[1] or not located[0].endswith("__init__.py"):
                return None
            module, rest = located[0], (last,)
        if module == self.path or not rest:
            return None  # the file itself (its own names are the core's), or a module object
        return module, rest

    def _read_folders(self, importer: str, qualname: str) -> None:
        """The folders where a new module file would change where ``qualname`` leads count as read,
        by their module names: a result that relied on `utils` being outside the project is dropped
        once `utils.py` appears."""
        for folder in self._index.locator.looked_in(importer, qualname):
            key = folder_key(folder)
            if not self.live_reads.has_own(key):
                listing = self._index.digest(key)
                if listing is not None:
                    self.live_reads.record(key, listing)

    def _attribute(self, module: str, rest: Tuple[str, ...], hops: int) -> Optional[Symbol]:
        """What the module file ``module`` binds to ``rest[0]`` (its own definition, or an import
        followed to where it leads), and the rest of the dotted name from there."""
        summary = self._summary(module)
        if summary is None:
            return None
        name = rest[0]
        if len(rest) == 1:
            found: Optional[Symbol] = summary.functions.get(name) or summary.classes.get(name) or summary.objects.get(name)
            if found is not None:
                return found
        target = summary.imports.get(name)
        if target is not None and hops < _IMPORT_HOPS:
            return self._resolve(module, ".".join((target, *rest[1:])), hops + 1)
        return None

    def _summary(self, module: str) -> Optional[ModuleSummary]:
        if module in self._seen:
            return self._seen[module]
        found = self._index.summary(module)
        if found is not None:
            self.live_reads.record(module, found.digest)
            self.live_reads.add(found.reads)
        summary = self._seen[module] = found.summary if found is not None else None
        return summary


def _looked_at(index: Index, reads: Reads, module: str) -> None:
    """The pre-filter read ``module``'s code for a lint (a rule may have been left out for what it
    does not hold): a result kept is good only while the module is unchanged."""
    digest = index.digest(module)
    if digest is not None:
        reads.record(module, digest)
