"""The result cache: a finding list per (file content, configuration, linter).

An entry's key hashes the file's path and decoded text, a canonical form of
the effective settings, the ckptlint version and a fingerprint of the
ckptlint sources themselves (so a development checkout never serves results
of older rule code). Entries are written to a temporary file and renamed
into place, so concurrent runs never see half an entry; an unreadable entry
is a miss. Only check runs use the cache; fixing always re-lints.

A file's findings also depend on the project modules it imports (their
summaries, and the code its pre-filter read): an entry records every module
file the lint read, and one digest of their contents then, and is served only
while the digest of their contents now is the same. Editing `utils.py`
re-lints the files that read it, and only those; a hit never parses. The
files are kept relative to the linted file's folder and under one digest, not
one each: a training script reaches a few hundred modules, and their absolute
paths with a digest each made the entries three times the size of the rest
of the cache.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from functools import lru_cache
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from ckptlint import __version__
from ckptlint.cachefiles import write_whole
from ckptlint.config.settings import Settings
from ckptlint.diagnostics import Diagnostic, FileError, Span
from ckptlint.fixes.model import Applicability, Edit, Fix, ImportEdit

CACHE_DIR_NAME = ".ckptlint_cache"
FORMAT = 3


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Size and mtime of every module of the installed linter."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    digest = hashlib.sha256()
    for directory, dirnames, files in os.walk(package):
        dirnames[:] = sorted(d for d in dirnames if d not in ("__pycache__", "runtime"))
        for name in sorted(files):
            if name.endswith(".py"):
                info = os.stat(os.path.join(directory, name))
                digest.update(f"{directory}/{name}:{info.st_size}:{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _canonical(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (set, frozenset)):
        return sorted(_canonical(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def settings_fingerprint(settings: Settings) -> str:
    """Stable across processes (sets are sorted; string hashing is randomised)."""
    text = json.dumps(_canonical(settings), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _encode_fix(fix: Optional[Fix]) -> Optional[Dict[str, Any]]:
    if fix is None:
        return None
    return {
        "applicability": fix.applicability.value,
        "title": fix.title,
        "edits": [
            [e.start, e.end, e.content, e.module if isinstance(e, ImportEdit) else None] for e in fix.edits
        ],
    }


def _decode_fix(data: Optional[Dict[str, Any]]) -> Optional[Fix]:
    if data is None:
        return None
    edits = tuple(
        ImportEdit(start, end, content, module=module) if module is not None else Edit(start, end, content)
        for start, end, content, module in data["edits"]
    )
    return Fix(edits, Applicability(data["applicability"]), data["title"])


def encode(diagnostics: List[Diagnostic], errors: List[FileError]) -> Dict[str, Any]:
    return {
        "format": FORMAT,
        "diagnostics": [
            {
                "code": d.code,
                "name": d.name,
                "message": d.message,
                "span": dataclasses.astuple(d.span),
                "fix": _encode_fix(d.fix),
                "noqa_line": d.noqa_line,
            }
            for d in diagnostics
        ],
        "errors": [[e.message, e.line, e.column, e.kind] for e in errors],
    }


def decode(data: Dict[str, Any], path: str) -> Tuple[List[Diagnostic], List[FileError]]:
    diagnostics = [
        Diagnostic(path, d["code"], d["name"], d["message"], Span(*d["span"]), _decode_fix(d["fix"]), d["noqa_line"])
        for d in data["diagnostics"]
    ]
    errors = [
        FileError(path, message, line=line, column=column, kind=kind) for message, line, column, kind in data["errors"]
    ]
    return diagnostics, errors


class ResultCache:
    """Check results on disk, safe to share between concurrent runs. A file linted with settings
    of its own (``per_file``: its project's, `config.hierarchy`) is keyed by those."""

    def __init__(self, directory: str, settings: Settings, per_file: Optional[Dict[str, Settings]] = None) -> None:
        self.root = directory  # the cache folder the project index keeps its summaries in too
        self.directory = os.path.join(directory, __version__)
        self._per_file = per_file or {}
        self._salts: Dict[Settings, str] = {}
        self._settings = settings

    def _salt(self, settings: Settings) -> str:
        salt = self._salts.get(settings)
        if salt is None:
            salt = self._salts[settings] = f"{FORMAT}:{__version__}:{code_fingerprint()}:{settings_fingerprint(settings)}"
        return salt

    def key(self, path: str, text: str) -> str:
        settings = self._per_file.get(path, self._settings)
        digest = hashlib.sha256(self._salt(settings).encode())
        digest.update(b"\0" + os.path.normpath(path).encode("utf-8", "surrogateescape") + b"\0")
        digest.update(text.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    def _entry(self, key: str) -> str:
        return os.path.join(self.directory, key[:2], key + ".json")

    def load(
        self, key: str, path: str, digest_of: Optional[Callable[[str], Optional[str]]] = None
    ) -> Optional[Tuple[List[Diagnostic], List[FileError]]]:
        """The entry for ``key`` (the file ``path``), if any and if the module files it read still
        have the contents they had (``digest_of``: a file's content digest now)."""
        try:
            with open(self._entry(key), encoding="utf-8") as handle:
                data = json.load(handle)
            if data.get("format") != FORMAT:
                return None
            reads = data.get("reads")
            if reads:
                base = _folder_of(path)
                files = [_absolute(found, base) for found in reads["files"]]
                if digest_of is None or reads_digest({found: digest_of(found) for found in files}) != reads["digest"]:
                    return None
            return decode(data, path)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def store(
        self,
        key: str,
        path: str,
        diagnostics: List[Diagnostic],
        errors: List[FileError],
        reads: Optional[Mapping[str, Optional[str]]] = None,
    ) -> None:
        """Store an entry for ``key`` (the file ``path``); ``reads``: the project module files (and
        folders) the lint read, and their content digests then."""
        entry = self._entry(key)
        try:
            os.makedirs(os.path.dirname(entry), exist_ok=True)
            self._mark_root()
        except OSError:
            return  # a cache that cannot be written is only slower
        base = _folder_of(path)
        read = {"files": [_relative(found, base) for found in sorted(reads)], "digest": reads_digest(reads)} if reads else None
        write_whole(entry, json.dumps({**encode(diagnostics, errors), "reads": read}).encode("utf-8"))

    def _mark_root(self) -> None:
        root = os.path.dirname(self.directory)
        tag = os.path.join(root, "CACHEDIR.TAG")
        if not os.path.exists(tag):
            with open(tag, "w") as handle:
                handle.write("Signature: 8a477f597d28d172789f06886806bc55\n# ckptlint's result cache\n")
            with open(os.path.join(root, ".gitignore"), "w") as handle:
                handle.write("*\n")


def reads_digest(reads: Mapping[str, Optional[str]]) -> str:
    """One digest of what a lint read: each module file (or folder) and its content digest."""
    digest = hashlib.sha256()
    for found in sorted(reads):
        digest.update(f"{found}\0{reads[found]}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _folder_of(path: str) -> str:
    return os.path.dirname(os.path.abspath(path))


def _relative(path: str, base: str) -> str:
    """``path`` (absolute; a folder ends with a separator) as seen from ``base``."""
    try:
        found = os.path.relpath(path, base)
    except ValueError:  # another drive
        return path
    return found + os.sep if path.endswith(os.sep) else found


def _absolute(stored: str, base: str) -> str:
    joined = os.path.normpath(os.path.join(base, stored))
    return joined + os.sep if stored.endswith(os.sep) and not joined.endswith(os.sep) else joined
