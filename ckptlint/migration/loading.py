"""Open a checkpoint for migration: as safely as its contents allow, never silently unsafe.

Three ways, tried in this order, each said in the report:

1. ``torch.load(weights_only=True)``, when ``ckptlint inspect``'s static scan
   finds no global outside torch's allowlist (:mod:`ckptlint.inspection.opening`);
2. ``weights_only=True`` with *data classes* allowed
   (``torch.serialization.safe_globals``): ``argparse.Namespace``,
   ``types.SimpleNamespace``, numpy scalars, arrays and dtypes, ``TorchVersion``,
   ``pathlib`` paths, ``datetime`` values and ``torch.Generator``. Unpickling
   them only rebuilds data (no function of the file's choosing is called),
   so this needs no ``--trust``;
3. ``weights_only=False``, only with ``--trust``, when the file needs any other
   global (a whole pickled model: its classes are imported and their code
   runs). ``--import MODULE`` imports the user's modules first, and classes
   pickled from a script (``__main__.Net``) are looked up in them.
"""

from __future__ import annotations

import importlib
import pickle
import sys
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Optional, Sequence

from ckptlint.inspection.opening import READ_ERRORS, Opened, open_checkpoint

__all__ = ["Loaded", "Refused", "load_for_migration", "DATA_GLOBALS", "data_classes",
           "available_data_classes"]

# Globals whose unpickling only rebuilds data; migration turns each into builtins or tensors.
DATA_GLOBALS = frozenset({
    "argparse.Namespace", "types.SimpleNamespace",
    "numpy._core.multiarray.scalar", "numpy.core.multiarray.scalar",
    "numpy._core.multiarray._reconstruct", "numpy.core.multiarray._reconstruct",
    "numpy.ndarray", "numpy.dtype",
    "torch.torch_version.TorchVersion", "torch._C.Generator",
    "pathlib.Path", "pathlib.PosixPath", "pathlib.WindowsPath", "pathlib.PurePosixPath",
    "pathlib.PureWindowsPath",
    "datetime.datetime", "datetime.date", "datetime.time", "datetime.timedelta", "datetime.timezone",
})
_DATA_PREFIXES = ("numpy.dtypes.",)  # numpy's dtype classes (Float64DType, ...)


@dataclass(frozen=True)
class Loaded:
    """A payload, and how it was loaded (``allowed``: data classes let through; ``trusted``:
    loaded with weights_only=False)."""

    payload: Any
    container: str
    allowed: tuple[str, ...] = ()
    trusted: bool = False


@dataclass(frozen=True)
class Refused:
    """Why a file was not loaded: unreadable (``unreadable=True``), or it needs ``--trust``."""

    reason: str
    container: str
    size: Optional[int]
    unreadable: bool
    globals: tuple[str, ...] = ()


def is_data_global(name: str) -> bool:
    return name in DATA_GLOBALS or name.startswith(_DATA_PREFIXES)


def _resolve(name: str) -> Any:
    module, _, attr = name.rpartition(".")
    return getattr(importlib.import_module(module), attr)


def data_classes(names: Sequence[str]) -> list[Any]:
    found = [_resolve(n) for n in names]
    if any(n.startswith("numpy.") for n in names):  # dtype classes show up only while building
        numpy = importlib.import_module("numpy")
        dtypes = getattr(numpy, "dtypes", None)
        if dtypes is not None:
            found += [getattr(dtypes, n) for n in dir(dtypes) if n.endswith("DType")]
    return found


def _load_with_data_classes(path: str, names: Sequence[str]) -> Any:
    import torch

    with torch.serialization.safe_globals(data_classes(names)):
        return torch.load(path, map_location="cpu", weights_only=True)


def available_data_classes() -> list[Any]:
    """Every data class of :data:`DATA_GLOBALS` importable here (numpy may be absent)."""
    names = []
    for name in sorted(DATA_GLOBALS):
        try:
            _resolve(name)
        except (ImportError, AttributeError):  # numpy 1 vs 2 module names, numpy absent
            continue
        names.append(name)
    return data_classes(names)


class _MainAliases(pickle.Unpickler):
    """``find_class`` that looks ``__main__.X`` up in the modules given with ``--import``."""

    modules: tuple[ModuleType, ...] = ()

    def find_class(self, module: str, name: str) -> Any:
        if module == "__main__" and not hasattr(sys.modules["__main__"], name):
            for candidate in self.modules:
                if hasattr(candidate, name):
                    return getattr(candidate, name)
        return super().find_class(module, name)


def _trusting_pickle(imports: Sequence[str]) -> ModuleType:
    """A pickle module for ``torch.load(pickle_module=...)`` with the __main__ aliases."""
    shim = ModuleType("ckptlint_migration_pickle")
    shim.__dict__.update({k: getattr(pickle, k) for k in dir(pickle) if not k.startswith("__")})
    shim.Unpickler = type("Unpickler", (_MainAliases,),  # type: ignore[attr-defined]
                          {"modules": tuple(importlib.import_module(m) for m in imports)})
    return shim


def _load_trusted(path: str, imports: Sequence[str]) -> Any:
    import torch

    return torch.load(path, map_location="cpu", weights_only=False,
                      pickle_module=_trusting_pickle(imports))


def load_for_migration(path: str, trust: bool, imports: Sequence[str] = ()) -> "Loaded | Refused":
    """The payload of the ``torch.save`` file at ``path`` (see the module docstring)."""
    opened: Opened = open_checkpoint(path)
    if opened.error is not None or opened.truncated is not None:
        return Refused(opened.error or opened.truncated or "", opened.container, opened.size,
                       unreadable=True)
    if not opened.unsafe_globals:
        return Loaded(opened.payload, opened.container)
    code = tuple(g for g in opened.unsafe_globals if not is_data_global(g))
    try:
        if not code:
            return Loaded(_load_with_data_classes(path, opened.unsafe_globals), opened.container,
                          allowed=opened.unsafe_globals)
        if not trust:
            return Refused("loading it would run code from the file: it needs "
                           f"{', '.join(code)}. Rerun with --trust if you trust its source "
                           "(and --import MODULE for the modules that define those classes)",
                           opened.container, opened.size, unreadable=False, globals=code)
        return Loaded(_load_trusted(path, imports), opened.container, trusted=True)
    except (pickle.UnpicklingError, ImportError, AttributeError) as exc:
        return Refused(f"could not be loaded: {type(exc).__name__}: {exc}", opened.container,
                       opened.size, unreadable=False, globals=code)
    except READ_ERRORS as exc:
        return Refused(f"truncated or corrupt: {type(exc).__name__}: {exc}", opened.container,
                       opened.size, unreadable=True)
