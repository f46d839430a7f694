"""The project index as the language server keeps it (issue #17's "Language server").

The summaries themselves are the project index's (`semantic.program.index`,
one per project, shared with every lint in the process); this module keeps
what an editor adds to it:
- unsaved buffers: the text of every open document is what the index reads
  for that module, so an edit to `utils.py` counts before it is saved;
- which modules have been summarised once: a document whose imports are not
  all summarised yet is linted on its own first (its diagnostics come at
  once), while the summaries are built in the background, module by module,
  and then linted with them (its diagnostics improve);
- which modules each document's last lint read (`FileView.reads`): a change
  to one of them re-lints the open documents that read it;
- which modules each document imports (and theirs), found again only when
  its import lines changed, or one of those modules, or a module file on
  disk (reading the imported modules' texts for their imports took ~5 ms
  before every lint of a 500-line training script).
A module that changed after its summary was built needs no background work:
the index sees its new content digest and summarises it again on the next
lint that reads it (each lint looks at the module files it reads once, also
when the client announced no change on disk).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Dict, FrozenSet, List, Optional, Set, Tuple

from ckptlint.config.settings import ProjectSettings
from ckptlint.engine.cache import CACHE_DIR_NAME
from ckptlint.engine.session.process import project_index
from ckptlint.semantic.program.index import imported_names, look_again

if TYPE_CHECKING:
    from ckptlint.semantic.program.index import ProjectIndex
    from ckptlint.semantic.program.view import FileView


class WorkspaceIndex:
    def __init__(self) -> None:
        self.unsaved: Dict[str, str] = {}  # absolute path -> text of an open document
        self._summarised: Set[str] = set()  # module files summarised at least once
        self._reads: Dict[str, FrozenSet[str]] = {}  # document path -> modules its last lint read
        # What a document imports: (index, its imported names, `_moved` then, `_edits` then, the modules).
        self._imports: Dict[str, Tuple[object, Tuple[str, ...], int, int, List[str]]] = {}
        self._edits = 0  # module texts changed so far (in the editor or on disk)
        self._changed: Dict[str, int] = {}  # module file -> `_edits` when its text last changed
        self._moved = 0  # module files created, changed or deleted on disk (an import may lead elsewhere)

    def index(self, project: ProjectSettings) -> "Optional[ProjectIndex]":
        """The index ``project``'s files are linted with, reading the open documents' texts."""
        cache_dir = os.environ.get("CKPTLINT_CACHE_DIR") or os.path.join(project.root, CACHE_DIR_NAME)
        index = project_index(project, cache_dir) if project.root else None
        if index is not None:
            index.unsaved = self.unsaved  # one mapping, shared by every project's index
        return index

    def view(self, project: ProjectSettings, path: str) -> "Optional[FileView]":
        """How the document ``path`` sees the other modules of its project, open ones included."""
        index = self.index(project)
        return index.view(path) if index is not None else None

    def missing(self, project: ProjectSettings, path: str, text: str) -> List[str]:
        """The project modules ``text`` imports (and theirs) that were never summarised, the
        farthest first (so that a module's own imports are summarised before it)."""
        index = self.index(project)
        if index is None:
            return []
        modules = self._imported(index, os.path.abspath(path), text)
        return [module for module in reversed(modules) if module not in self._summarised]

    def _imported(self, index: "ProjectIndex", path: str, text: str) -> List[str]:
        """``index.imported_modules(path, text)``, found again only when it may have changed."""
        names = tuple(imported_names(text))
        known = self._imports.get(path)
        if known is not None:
            known_index, known_names, moved, edits, modules = known
            fresh = known_index is index and known_names == names and moved == self._moved
            if fresh and all(self._changed.get(module, 0) <= edits for module in modules):
                return modules
        modules = list(index.imported_modules(path, text))
        self._imports[path] = (index, names, self._moved, self._edits, modules)
        return modules

    def _text_changed(self, path: str) -> None:
        self._edits += 1
        self._changed[path] = self._edits

    def summarise(self, project: ProjectSettings, module: str) -> None:
        """Build ``module``'s summary (in the worker thread; `summarised` records it afterwards)."""
        index = self.index(project)
        if index is not None:
            index.summary(module)

    def summarised(self, module: str) -> None:
        self._summarised.add(module)

    def on_disk(self, path: str) -> None:
        """A module file was created, changed or deleted on disk: the indexes read it, and look up
        where imports lead, afresh (a server lives longer than any file it has read)."""
        from ckptlint.semantic.program.index import forget_file

        forget_file(path)
        self._text_changed(os.path.abspath(path))
        self._moved += 1

    def opened(self, path: str, text: str) -> None:
        path = os.path.abspath(path)
        if self.unsaved.get(path) != text:
            self.unsaved[path] = text
            self._text_changed(path)

    def closed(self, path: str) -> None:
        path = os.path.abspath(path)
        self.unsaved.pop(path, None)
        self._reads.pop(path, None)
        self._imports.pop(path, None)
        self._text_changed(path)  # its importers read the file on disk again

    def linted(self, path: str, view: "Optional[FileView]") -> None:
        """Record what the lint of the document ``path`` read (nothing for a lint on its own).
        Called in the event loop's thread, as every method here but `summarise`."""
        look_again()  # the next lint looks at the module files once more (a checkout, a formatter)
        if view is None:
            return
        self._reads[os.path.abspath(path)] = frozenset(view.reads)
        # Only what was summarised: a module the pre-filter only read is still summarised in the
        # background for the next document that imports it (which is linted on its own first).
        self._summarised.update(view.summarised())

    def importers(self, module: str) -> List[str]:
        """The open documents whose last lint read ``module``."""
        module = os.path.abspath(module)
        return sorted(path for path, reads in self._reads.items() if module in reads and path != module)
