"""Reading pickles that may be hostile: list their globals, or unpickle with an allowlist.

Unpickling runs whatever the pickle's globals do (a class's ``__reduce__`` can
name ``os.system``), so `inspect` never calls plain ``pickle.load`` on a file it
was given. Two tools:

- :func:`globals_in_legacy_file` and :func:`globals_in_pickle_file`
  disassemble a pickle with :mod:`pickletools`, which decodes opcodes and
  executes nothing. (``torch.serialization.get_unsafe_globals_in_checkpoint``
  does this for zip files only.)
- :func:`load_allowlisted` unpickles with ``find_class`` restricted to an
  allowlist, for the ``.metadata`` of a torch.distributed.checkpoint folder
  (torch itself reads it with plain ``pickle.load``).
"""

from __future__ import annotations

import pickle
import pickletools
from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING
from typing import IO, Any, Dict, FrozenSet, List, Optional, Set, Tuple

# A legacy file is five pickles in a row: magic number, protocol version,
# system info, the object, then the storage keys. The object is the fourth.
_LEGACY_OBJECT_PICKLE = 3

_STRING_OPS = frozenset({"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE",
                         "SHORT_BINSTRING", "BINSTRING", "STRING"})
_MEMO_PUT_OPS = frozenset({"MEMOIZE", "PUT", "BINPUT", "LONG_BINPUT"})
_MEMO_GET_OPS = frozenset({"GET", "BINGET", "LONG_BINGET"})


def _globals_in_pickle(stream: IO[bytes]) -> Set[str]:
    """Globals one pickle (up to its STOP) refers to, without unpickling it.

    ``GLOBAL`` carries its name; ``STACK_GLOBAL`` (protocol 4+) takes the two
    values pushed just before it, strings written literally or fetched from
    the memo, so the strings in the memo are tracked.
    """
    found: Set[str] = set()
    memo: Dict[Any, Optional[str]] = {}
    last_two: List[Optional[str]] = [None, None]  # the latest pushes; None: not a string
    for opcode, arg, _ in pickletools.genops(stream):
        name = opcode.name
        if name in _MEMO_PUT_OPS:  # stores the top of the stack, pushes nothing
            memo[len(memo) if name == "MEMOIZE" else arg] = last_two[-1]
            continue
        if name == "GLOBAL":
            found.add(_python3_name(*str(arg).split(" ", 1)))
        elif name == "STACK_GLOBAL" and None not in last_two:
            found.add(_python3_name(*last_two))
        pushed = str(arg) if name in _STRING_OPS else memo.get(arg) if name in _MEMO_GET_OPS else None
        last_two = [last_two[1], pushed]
    return found


def _python3_name(module: str, name: str) -> str:
    """The name as unpicklers resolve it: protocol 2 (torch.save's default) writes
    Python 2 names such as ``__builtin__.set``, mapped as pickle and torch map them."""
    if (module, name) in NAME_MAPPING:
        module, name = NAME_MAPPING[(module, name)]
    else:
        module = IMPORT_MAPPING.get(module, module)
    return f"{module}.{name}"


def globals_in_pickle_file(path: str) -> Set[str]:
    """Every global the pickle in ``path`` names (ValueError when it is cut short)."""
    with open(path, "rb") as stream:
        return _globals_in_pickle(stream)


def globals_in_legacy_file(path: str) -> Set[str]:
    """Every global the object pickle of a legacy ``torch.save`` file names.

    Raises ValueError (pickletools: "pickle exhausted before seeing STOP") when
    the file ends before the object does, i.e. when it is truncated.
    """
    with open(path, "rb") as stream:
        for _ in range(_LEGACY_OBJECT_PICKLE):
            _globals_in_pickle(stream)
        return _globals_in_pickle(stream)


class RefusedGlobalError(pickle.UnpicklingError):
    """The pickle needs a global outside the allowlist; it was not imported."""

    def __init__(self, module: str, name: str) -> None:
        super().__init__(f"{module}.{name}")
        self.qualified_name = f"{module}.{name}"


class _AllowlistUnpickler(pickle.Unpickler):
    def __init__(self, stream: IO[bytes], allowed: FrozenSet[Tuple[str, str]]) -> None:
        super().__init__(stream)
        self._allowed = allowed

    def find_class(self, module: str, name: str) -> Any:
        if _allows(self._allowed, module, name):
            return super().find_class(module, name)
        raise RefusedGlobalError(module, name)


def _allows(allowed: FrozenSet[Tuple[str, str]], module: str, name: str) -> bool:
    """In the allowlist, or a torch dtype (``torch.float32`` pickles as ``torch float32``)."""
    if (module, name) in allowed:
        return True
    if module != "torch" or "." in name:
        return False
    import torch

    return isinstance(getattr(torch, name, None), torch.dtype)


def refused_globals(found: Set[str], allowed: FrozenSet[Tuple[str, str]]) -> List[str]:
    """The dotted names in ``found`` (from a static scan) that the allowlist refuses."""
    return sorted(g for g in found if not _allows(allowed, g.rpartition(".")[0], g.rpartition(".")[2]))


def load_allowlisted(path: str, allowed: FrozenSet[Tuple[str, str]]) -> Any:
    """Unpickle ``path`` importing only the ``(module, name)`` globals in ``allowed``.

    Raises :class:`RefusedGlobalError` naming the first global outside it.
    """
    with open(path, "rb") as stream:
        return _AllowlistUnpickler(stream, allowed).load()
