"""Where an import leads: the project module file a qualified name starts in.

Python's rules, for the files of one project (catalog, "The program"): an
absolute name (`utils.save_on_master`, `pkg.models.Net`) is looked up in the
importing script's own folder (Python puts it first on `sys.path`), then in
the project's import roots (`src`); a relative one (`.misc.helper`,
`..common.set_seed`) from the importing module's package. `a/b.py` and
`a/b/__init__.py` are both module `a.b`. The longest prefix of the name that
is a module wins; the rest are attributes of that module. A name that leads
to no file under these folders is outside the project: None.

An answer holds while no module file appears where one was looked for in
vain: `looked_in` names the folders where that would happen (of each
candidate, the nearest folder that exists), and `module_names` what they
hold that an import could find, so that what a lint concluded from `utils`
being outside the project is not kept once `utils.py` is written beside the
script (and a checkpoint or a log written there changes nothing).
"""

from __future__ import annotations

import hashlib
import os
from typing import List, Optional, Sequence, Tuple


class ModuleLocator:
    def __init__(self, roots: Sequence[str]) -> None:
        self._roots = [os.path.abspath(root) for root in roots]
        self._files: dict = {}
        # (importer's folder, name) -> where it leads, and the candidate module files looked for
        # in vain on the way: a lint asks for the same names again and again (every call of
        # `utils.x`), and the answer depends only on these two.
        self._located: dict = {}
        self._looked: dict = {}  # the same key -> the folders whose module files decide the answer

    def forget(self) -> None:
        """Look files up again: one was created or removed."""
        self._files.clear()
        self._located.clear()
        self._looked.clear()

    def locate(self, importer: str, qualname: str) -> Optional[Tuple[str, Tuple[str, ...]]]:
        """``(module file, attribute path)`` for ``qualname`` as ``importer`` (a file) names it."""
        return self._probe(importer, qualname)[0]

    def looked_in(self, importer: str, qualname: str) -> Tuple[str, ...]:
        """The folders where a new module file (or package) could change what `locate` answers for
        ``qualname`` as ``importer`` names it: for each candidate looked for in vain, the nearest
        folder on its way that exists."""
        key = (os.path.dirname(os.path.abspath(importer)), qualname)
        if key not in self._looked:
            probed = self._probe(importer, qualname)[1]
            self._looked[key] = tuple(sorted({_existing_folder(candidate) for candidate in probed}))
        return self._looked[key]

    def _probe(self, importer: str, qualname: str) -> Tuple[Optional[Tuple[str, Tuple[str, ...]]], List[str]]:
        key = (os.path.dirname(os.path.abspath(importer)), qualname)
        if key not in self._located:
            probed: List[str] = []
            self._located[key] = (self._locate(importer, qualname, probed), probed)
        return self._located[key]

    def _locate(self, importer: str, qualname: str, probed: List[str]) -> Optional[Tuple[str, Tuple[str, ...]]]:
        if qualname.startswith("."):
            level = len(qualname) - len(qualname.lstrip("."))
            base = os.path.dirname(os.path.abspath(importer))
            for _ in range(level - 1):
                base = os.path.dirname(base)
            parts = [p for p in qualname[level:].split(".") if p]
            return self._longest(parts, [base], probed, package_itself=base)
        parts = qualname.split(".")
        folders = [os.path.dirname(os.path.abspath(importer)), *self._roots]
        return self._longest(parts, folders, probed)

    def _longest(
        self,
        parts: List[str],
        folders: Sequence[str],
        probed: List[str],
        package_itself: Optional[str] = None,
    ) -> Optional[Tuple[str, Tuple[str, ...]]]:
        """``probed``: gets every candidate module file looked for in vain."""
        for cut in range(len(parts), 0, -1):
            for folder in folders:
                found = self._module_file(folder, parts[:cut], probed)
                if found is not None:
                    return found, tuple(parts[cut:])
        if package_itself is not None:  # `from . import x`: an attribute of the package itself
            init = os.path.join(package_itself, "__init__.py")
            if self._is_file(init):
                return init, tuple(parts)
            probed.append(init)
        return None

    def _module_file(self, folder: str, parts: Sequence[str], probed: List[str]) -> Optional[str]:
        base = os.path.join(folder, *parts)
        for candidate in (base + ".py", os.path.join(base, "__init__.py")):
            if self._is_file(candidate):
                return candidate
            probed.append(candidate)
        return None

    def _is_file(self, path: str) -> bool:
        found = self._files.get(path)
        if found is None:
            found = self._files[path] = os.path.isfile(path)
        return found


def _existing_folder(path: str) -> str:
    """The nearest folder above ``path`` that exists (where ``path``, or a folder on its way, would
    be created)."""
    folder = os.path.dirname(path)
    while not os.path.isdir(folder) and os.path.dirname(folder) != folder:
        folder = os.path.dirname(folder)
    return folder


def folder_key(folder: str) -> str:
    """How a folder is named among what a lint read (`FileView.reads`): with a separator at its
    end, never taken for a module file."""
    return folder.rstrip(os.sep) + os.sep


def module_names(folder: str, besides: Optional[str] = None) -> Optional[str]:
    """A digest of the names in ``folder`` an import could find (`x.py` files and folders named
    like modules, not `__pycache__`, nor the folder ``besides``: ckptlint's own cache): it changes
    when a module file or package appears or goes, not when a checkpoint or a log is written.
    None when ``folder`` cannot be listed."""
    try:
        with os.scandir(folder) as entries:
            names = sorted(
                entry.name
                for entry in entries
                if (entry.name.endswith(".py") and entry.name[:-3].isidentifier())
                or (
                    entry.name.isidentifier()
                    and entry.name != "__pycache__"
                    and entry.is_dir()
                    and entry.path != besides
                )
            )
    except OSError:
        return None
    return "modules:" + hashlib.sha256("\n".join(names).encode("utf-8", "surrogatepass")).hexdigest()[:32]
