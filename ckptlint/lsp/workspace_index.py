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
  to one of them re-lints the open documents that read it.
A module that changed after its summary was built needs no background work:
the index sees its new content digest and summarises it again on the next
lint that reads it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Dict, FrozenSet, List, Optional, Set

from ckptlint.config.settings import ProjectSettings
from ckptlint.engine.cache import CACHE_DIR_NAME
from ckptlint.engine.session.process import project_index

if TYPE_CHECKING:
    from ckptlint.semantic.program.index import FileView, ProjectIndex


class WorkspaceIndex:
    def __init__(self) -> None:
        self.unsaved: Dict[str, str] = {}  # absolute path -> text of an open document
        self._summarised: Set[str] = set()  # module files summarised at least once
        self._reads: Dict[str, FrozenSet[str]] = {}  # document path -> modules its last lint read

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
        modules = index.imported_modules(path, text)
        return [module for module in reversed(list(modules)) if module not in self._summarised]

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

    def opened(self, path: str, text: str) -> None:
        self.unsaved[os.path.abspath(path)] = text

    def closed(self, path: str) -> None:
        path = os.path.abspath(path)
        self.unsaved.pop(path, None)
        self._reads.pop(path, None)

    def linted(self, path: str, view: "Optional[FileView]") -> None:
        """Record what the lint of the document ``path`` read (nothing for a lint on its own).
        Called in the event loop's thread, as every method here but `summarise`."""
        if view is None:
            return
        self._reads[os.path.abspath(path)] = frozenset(view.reads)
        self._summarised.update(view.reads)

    def importers(self, module: str) -> List[str]:
        """The open documents whose last lint read ``module``."""
        module = os.path.abspath(module)
        return sorted(path for path, reads in self._reads.items() if module in reads and path != module)
