"""Where an import leads: the project module file a qualified name starts in.

Python's rules, for the files of one project (catalog, "The program"): an
absolute name (`utils.save_on_master`, `pkg.models.Net`) is looked up in the
importing script's own folder (Python puts it first on `sys.path`), then in
the project's import roots (`src`); a relative one (`.misc.helper`,
`..common.set_seed`) from the importing module's package. `a/b.py` and
`a/b/__init__.py` are both module `a.b`. The longest prefix of the name that
is a module wins; the rest are attributes of that module. A name that leads
to no file under these folders is outside the project: None.
"""

from __future__ import annotations

import os
from typing import List, Optional, Sequence, Tuple


class ModuleLocator:
    def __init__(self, roots: Sequence[str]) -> None:
        self._roots = [os.path.abspath(root) for root in roots]
        self._files: dict = {}
        # (importer's folder, name) -> where it leads: a lint asks for the same names again and
        # again (every call of `utils.x`), and the answer depends only on these two.
        self._located: dict = {}

    def forget(self) -> None:
        """Look files up again: one was created or removed."""
        self._files.clear()
        self._located.clear()

    def locate(self, importer: str, qualname: str) -> Optional[Tuple[str, Tuple[str, ...]]]:
        """``(module file, attribute path)`` for ``qualname`` as ``importer`` (a file) names it."""
        key = (os.path.dirname(os.path.abspath(importer)), qualname)
        if key not in self._located:
            self._located[key] = self._locate(importer, qualname)
        return self._located[key]

    def _locate(self, importer: str, qualname: str) -> Optional[Tuple[str, Tuple[str, ...]]]:
        if qualname.startswith("."):
            level = len(qualname) - len(qualname.lstrip("."))
            base = os.path.dirname(os.path.abspath(importer))
            for _ in range(level - 1):
                base = os.path.dirname(base)
            parts = [p for p in qualname[level:].split(".") if p]
            return self._longest(parts, [base], package_itself=base)
        parts = qualname.split(".")
        folders = [os.path.dirname(os.path.abspath(importer)), *self._roots]
        return self._longest(parts, folders)

    def _longest(
        self, parts: List[str], folders: Sequence[str], package_itself: Optional[str] = None
    ) -> Optional[Tuple[str, Tuple[str, ...]]]:
        for cut in range(len(parts), 0, -1):
            for folder in folders:
                found = self._module_file(folder, parts[:cut])
                if found is not None:
                    return found, tuple(parts[cut:])
        if package_itself is not None:  # `from . import x`: an attribute of the package itself
            init = os.path.join(package_itself, "__init__.py")
            if self._is_file(init):
                return init, tuple(parts)
        return None

    def _module_file(self, folder: str, parts: Sequence[str]) -> Optional[str]:
        base = os.path.join(folder, *parts)
        for candidate in (base + ".py", os.path.join(base, "__init__.py")):
            if self._is_file(candidate):
                return candidate
        return None

    def _is_file(self, path: str) -> bool:
        found = self._files.get(path)
        if found is None:
            found = self._files[path] = os.path.isfile(path)
        return found
