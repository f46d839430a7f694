"""The project index: every project module's summary, built once per content and kept on disk.

A linted file asks for the modules it imports through a `FileView` (the
core's `ProjectView`). A module's summary reads its own semantic model, from
one parse, the first time some file imports it, and computes each fact when a
file first reads it (`summarize.py`); it is kept in memory for the run, with
its model while a fact may still be read (the last `_HELD_MODELS`; another is
parsed again for a fact not computed yet), and its facts on disk
(`<cache>/summaries/`, one JSON file per module file, content digest and
linter version, written after each file a run lints), so a later run, or
another worker process, reads them instead of parsing. A module whose facts
are being computed that imports itself back (directly or through others) sees
that module as unknown: cycles end.

A summary is built from its module's text and from the summaries of the
modules that module imports (`a.build_model` returns a model because `b.Net`
is an `nn.Module`), and theirs in turn: it keeps the content digest of every
module file its facts were computed from (`view.Reads`, which grows as they
are), and is used, from memory or from disk, only while each of them still
has that digest. Each view records the same of every summary it read, so a
file's cached lint result is kept exactly as long as everything it read,
directly or through another summary, is unchanged.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import marshal
import os
import re
import tokenize
from collections import OrderedDict
from typing import TYPE_CHECKING, Callable, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

from ckptlint import __version__
from ckptlint.cachefiles import write_whole
from ckptlint.config.settings import ProjectSettings
from ckptlint.semantic.core.summary import FORMAT
from ckptlint.semantic.program.locate import ModuleLocator, module_names
from ckptlint.semantic.program.outline import FORMAT as OUTLINE_FORMAT, Outline, Piece, outline
from ckptlint.semantic.program.reach import Closure, Name, Reach
from ckptlint.semantic.program.view import FileView, Reads, Summarised

# Every linted file gets a view, also the many that cannot matter and are never parsed: libcst,
# the model and the summarizer are imported only when a summary has to be built.
if TYPE_CHECKING:
    from ckptlint.semantic.model import SemanticModel
    from ckptlint.semantic.program.summarize import LazyModuleSummary, Source

# Models of a run's own files, built for their summaries and kept until the run lints them (the
# run lints them next): one parse per file per run. A few, for memory: another is parsed again.
_KEPT_MODELS = 4
# Models the summaries hold for the facts not computed yet; one let go is parsed again if a fact
# of it is read later.
_HELD_MODELS = 64
# and no more than this many characters of their modules' texts: a model takes some 40 bytes per
# character, so about 50 MiB. One training script of ultralytics reads facts of 59 modules, 1.28
# million characters, over and over; a bound below that parses them again and again.
_HELD_CHARACTERS = 1_300_000
_MAX_MODULE_SIZE = 4 * 1024 * 1024


Analysed = Callable[[str, str], bool]  # (file, text) -> whether the run's lint analyses it


class _Run:
    """The run this process is in: its number (module files are looked at again in a new one),
    the files it lints, and which of them its lint will analyse."""

    def __init__(self) -> None:
        self.number = 0
        self.files: FrozenSet[str] = frozenset()
        self.analysed: Optional[Analysed] = None

    def keeps_model(self, path: str, text: str) -> bool:
        """Whether a model of ``text`` (the file ``path``) built for its summary is worth keeping
        for the file's own lint: a file of the run that its lint will analyse."""
        return self.analysed is not None and path in self.files and self.analysed(path, text)


_RUN = _Run()


class _Computing:
    """`ProjectIndex.computing`: ``busy`` when the module was being computed already."""

    __slots__ = ("_building", "_path", "busy")

    def __init__(self, building: Dict[str, int], path: str) -> None:
        self._building = building
        self._path = path
        self.busy = False

    def __enter__(self) -> "_Computing":
        depth = self._building.get(self._path, 0)
        self.busy = depth > 0
        self._building[self._path] = depth + 1
        return self

    def __exit__(self, *exc: object) -> None:
        depth = self._building[self._path] - 1
        if depth:
            self._building[self._path] = depth
        else:
            del self._building[self._path]


class ProjectIndex:
    """Summaries of the modules of one project."""

    def __init__(self, project: ProjectSettings, cache_dir: Optional[str] = None) -> None:
        self.project = project
        self.locator = ModuleLocator(project.src or ((project.root,) if project.root else ()))
        self._cache_dir = os.path.join(cache_dir, "summaries", __version__) if cache_dir else None
        self._outline_dir = os.path.join(cache_dir, "outlines", __version__) if cache_dir else None
        self._cache_root = os.path.abspath(cache_dir) if cache_dir else None  # never a module folder
        self._summaries: Dict[str, Summarised] = {}  # module file -> its latest summary
        self._building: Dict[str, int] = {}  # module file -> how many computations of it are under way
        # module file -> (the run that last looked, its size and modification time then, the digest
        # of its text then; None: unreadable). Not the text: a run reaches hundreds of modules and
        # reads a module's text only to outline it and to build its model, each once.
        self._files: Dict[str, Tuple[int, Optional[Tuple[int, int]], Optional[str]]] = {}
        self._digests: Dict[str, Tuple[str, str]] = {}  # a text given or unsaved: path -> (text, its digest)
        self._listings: Dict[str, Tuple[int, Optional[str]]] = {}  # folder -> (run, its module names' digest)
        self._outlines: Dict[str, Tuple[str, Optional[Outline]]] = {}  # path -> (its text's digest, its outline)
        self._whole: Dict[str, List[Tuple[str, Piece]]] = {}
        self._kept: "OrderedDict[str, Tuple[str, SemanticModel]]" = OrderedDict()  # path -> (text, model)
        self._held: "OrderedDict[int, Source]" = OrderedDict()  # the summaries' sources holding a model, oldest first
        self._held_size = 0  # the characters of their modules' texts
        self._reach = Reach(self.locator.locate, self.outline, self._whole_texts)
        # (name, words) -> whether the name's code holds one of the words, and the module files
        # looked at (with their digests then): kept while those files are unchanged.
        self._finds: Dict[Tuple[Name, FrozenSet[str]], Tuple[bool, Dict[str, Optional[str]]]] = {}
        self.parsed = 0  # modules parsed to be summarised (tests count them)
        # Modules open in an editor, by absolute path: their unsaved text is read instead of the
        # file (the language server keeps this current; a command-line run never sets it).
        self.unsaved: Dict[str, str] = {}

    def view(self, path: str) -> FileView:
        return FileView(self, os.path.abspath(path))

    # -- summaries -------------------------------------------------------------
    def summary(self, path: str) -> Optional[Summarised]:
        """The summary of the module file ``path`` as it is now; None when it cannot be read."""
        digest = self.digest(path)
        if digest is None:
            return None
        if self._building.get(path):
            return Summarised(digest, None, Reads())  # an import cycle: unknown while it is being computed
        known = self._summaries.get(path)
        if known is not None and known.digest == digest and self._unchanged(known.reads.flat()):
            return known
        found = self._load(path, digest)
        if found is None:
            found = self._build(path, digest)
        self._summaries[path] = found
        return found

    def has_summary(self, path: str) -> bool:
        """Whether the module file ``path`` was summarised (built, or read from the disk cache)."""
        return path in self._summaries

    def _build(self, path: str, digest: str) -> Summarised:
        view = self.view(path)
        text = self._source(path, digest)
        with self.computing(path):
            model = self._model(path, text, view) if text is not None else None
        if text is None or model is None:
            return Summarised(digest, None, view.live_reads)
        if _RUN.keeps_model(path, text):
            self._keep(path, text, model)
        return Summarised(digest, self._lazy(path, digest, view, model), view.live_reads)

    def _lazy(self, path: str, digest: str, view: FileView, model: "Optional[SemanticModel]" = None) -> "LazyModuleSummary":
        """The summary of the module file ``path`` (content ``digest``), computing its facts from
        ``model`` (parsed again through ``view`` when it was let go, or never built)."""
        from ckptlint.semantic.program.summarize import LazyModuleSummary, Source

        source = Source(functools.partial(self._model_again, path, digest, view), functools.partial(self.computing, path), self._holding, model)
        if model is not None:
            self._holding(source)
        return LazyModuleSummary(source)

    def _model(self, path: str, text: str, view: FileView) -> "Optional[SemanticModel]":
        """The model of the module file ``path`` (its text ``text``) for its summary; None when it
        cannot be parsed (the module is unknown, never an error here)."""
        from ckptlint.semantic.core.parsing import parse_module
        from ckptlint.semantic.model import SemanticModel

        try:
            module = parse_module(text)
            self.parsed += 1
            return SemanticModel(module, text, self.project, view)
        except Exception:
            return None

    def _model_again(self, path: str, digest: str, view: FileView) -> "Optional[SemanticModel]":
        """A summary's model once more (it was let go, or the summary came from the disk cache),
        for a fact not computed yet; None when the module's text is no longer the summary's."""
        text = self._source(path, digest)
        return self._model(path, text, view) if text is not None else None

    def _holding(self, source: "Source") -> None:
        """``source`` holds its model and has just read it: the holders that read theirs least
        recently let them go beyond `_HELD_MODELS` or `_HELD_CHARACTERS` (the one just read stays)."""
        if id(source) in self._held:
            self._held.move_to_end(id(source))
            return
        self._held[id(source)] = source
        self._held_size += source.size
        while len(self._held) > 1 and (len(self._held) > _HELD_MODELS or self._held_size > _HELD_CHARACTERS):
            _, oldest = self._held.popitem(last=False)
            self._held_size -= oldest.size
            oldest.release()

    def let_models_go(self) -> None:
        for source in self._held.values():
            source.release()
        self._held.clear()
        self._held_size = 0

    def grown(self) -> None:
        """Write the summaries whose facts grew since they were last written to the disk cache."""
        for path, found in list(self._summaries.items()):
            if found.summary is not None and found.summary.source.grown:  # type: ignore[attr-defined]
                found.summary.source.grown = False  # type: ignore[attr-defined]
                self._store(path, found)

    def computing(self, path: str) -> "_Computing":
        """A context in which the module file ``path`` is being computed: its summary is unknown to
        what the computation reads (an import cycle ends there)."""
        return _Computing(self._building, path)

    def _keep(self, path: str, text: str, model: "SemanticModel") -> None:
        self._kept[path] = (text, model)
        if len(self._kept) > _KEPT_MODELS:
            self._kept.popitem(last=False)

    def take_model(self, path: str, text: str, project: ProjectSettings) -> "Optional[SemanticModel]":
        """The model built of ``text`` (the file ``path``) for its summary, if kept, for the file's
        own lint with ``project``'s settings (no second parse); given once."""
        kept = self._kept.pop(path, None)
        if kept is None or kept[0] != text or project != self.project:
            return None
        return kept[1].lend()  # the summary's source holds it too

    def waiting(self) -> List[str]:
        """The run's files whose models are kept, waiting for their lints."""
        return list(self._kept)

    def release(self, path: str) -> None:
        """Keep no model of ``path`` (the run is done with it)."""
        self._kept.pop(path, None)

    def release_all(self) -> None:
        self._kept.clear()

    def _unchanged(self, reads: Mapping[str, Optional[str]]) -> bool:
        return all(self.digest(path) == digest for path, digest in reads.items())

    def _entry(self, path: str, digest: str) -> Optional[str]:
        """The cache file of the summary of ``path`` with content ``digest``: the path is part of
        the key, since where a module's imports lead (and so its summary) depends on where it is."""
        if self._cache_dir is None:
            return None
        key = hashlib.sha256(f"{path}\0{digest}".encode("utf-8", "surrogatepass")).hexdigest()
        return os.path.join(self._cache_dir, key[:2], f"{key}.{FORMAT}.json")

    def _load(self, path: str, digest: str) -> Optional[Summarised]:
        entry = self._entry(path, digest)
        if entry is None:
            return None
        try:
            with open(entry, encoding="utf-8") as handle:
                data = json.load(handle)
            reads = Reads({str(k): str(v) for k, v in data["reads"].items()})
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        if not self._unchanged(reads.flat()):
            return None  # built from modules that have changed since
        view = self.view(path)
        reads.add(view.live_reads)  # what the facts it still has to compute read
        summary = self._lazy(path, digest, view)
        if not summary.seed(data.get("summary")):
            return None  # of another format
        return Summarised(digest, summary, reads)

    def _store(self, path: str, found: Summarised) -> None:
        """Write the facts of ``found`` computed so far to the disk cache (an unknown summary is not
        kept: the next run tries again)."""
        entry = self._entry(path, found.digest)
        if entry is None or found.summary is None:
            return
        write_whole(entry, json.dumps({"reads": found.reads.flat(), "summary": found.summary.to_json()}).encode("utf-8"))

    def digest(self, path: str) -> Optional[str]:
        """The content digest of the module file ``path`` now (None when it cannot be read); of a
        folder (`locate.folder_key`), the digest of its module names (`locate.module_names`),
        listed once per run."""
        if path.endswith(os.sep):
            known = self._listings.get(path)
            if known is None or known[0] != _RUN.number:
                known = self._listings[path] = (_RUN.number, module_names(path, besides=self._cache_root))
            return known[1]
        if path in self.unsaved:
            return self._digest(path, self.unsaved[path])
        known = self._files.get(path)
        if known is not None and known[0] == _RUN.number:
            return known[2]
        stamp = _stamp(path)
        if known is not None and stamp is not None and known[1] == stamp:
            digest = known[2]
        else:
            text = _read(path)
            digest = _sha(text) if text is not None else None
        self._files[path] = (_RUN.number, stamp, digest)
        return digest

    def _digest(self, path: str, text: str) -> str:
        """The digest of ``text``, given for the file ``path`` (a linted or an unsaved text)."""
        known = self._digests.get(path)
        if known is not None and known[0] is text:
            return known[1]
        digest = _sha(text)
        self._digests[path] = (text, digest)
        return digest

    # -- what a file's pre-filter may read -------------------------------------
    def outline(self, path: str, text: Optional[str] = None) -> Optional[Outline]:
        """The outline of the module file ``path`` (of ``text`` when given: a file being linted);
        None when it cannot be read or parsed."""
        on_disk = text is None and path not in self.unsaved
        digest = self.digest(path) if text is None else self._digest(path, text)
        if digest is None:
            return None
        known = self._outlines.get(path)
        if known is not None and known[0] == digest:
            return known[1]
        # A module file's outline is kept on disk by content (an editor's text, which changes at
        # every key, is not): a pre-commit run outlines the modules its file imports in ~1 ms.
        entry = self._outline_entry(digest) if on_disk else None
        found = _load_outline(entry) if entry is not None else None
        if found is None:
            if text is None:
                text = self._source(path, digest)
                if not text:
                    return None  # unreadable, or empty: nothing to reach
            found = outline(text)
            if entry is not None and found is not None:
                write_whole(entry, marshal.dumps(found.to_data()))
        self._outlines[path] = (digest, found)
        return found

    def _outline_entry(self, digest: str) -> Optional[str]:
        if self._outline_dir is None:
            return None
        return os.path.join(self._outline_dir, digest[:2], f"{digest}.{OUTLINE_FORMAT}.marshal")

    def reached(self, path: str, text: str, looked: Callable[[str], None]) -> Closure:
        """The code of other project modules that ``text`` (the file ``path``) reaches through its
        imports (`reach.py`); for a text Python cannot parse, the whole modules it imports.
        ``looked`` is told each module file read to tell what it holds."""
        path = os.path.abspath(path)
        own = self.outline(path, text)
        if own is None:
            return Closure(_unread(self.imported_modules(path, text)), looked)
        return self._reach.closure(path, own, looked)

    def defines_at_hand(self, path: str, name: str) -> bool:
        """Whether the summary of the module file ``path`` for its present text is in memory with
        its model, and defines ``name`` itself (a name it imports leads to another module, whose
        summary may still have to be built): computing the fact from it tells more cheaply than a
        walk. (A summary read from the disk cache may lack the fact, and parsing the module to
        compute it costs more than the walk.)"""
        digest = self.digest(path)
        if digest is None or self._building.get(path):
            return False
        known = self._summaries.get(path)
        if known is None or known.summary is None or known.digest != digest or not self._unchanged(known.reads.flat()):
            return False
        summary = known.summary
        return summary.source.has_model and summary.may_offer(name)  # type: ignore[attr-defined]

    def finds(self, name: Name, words: FrozenSet[str]) -> Tuple[bool, Mapping[str, Optional[str]]]:
        """Whether the code the module-level name ``name`` leads to, and the code that code
        reaches, holds one of ``words`` (`Reach.finds`); and the module files looked at to tell,
        with their content digests (what the answer depends on)."""
        key = (name, words)
        known = self._finds.get(key)
        if known is None or not self._unchanged(known[1]):
            found, looked = self._reach.finds(name, words)
            known = self._finds[key] = (found, {module: self.digest(module) for module in looked})
        return known

    def _whole_texts(self, path: str) -> List[Tuple[str, Piece]]:
        """A module Python cannot parse, whole, and the modules it imports: what it may give, as
        (module file, piece)."""
        pieces = self._whole.get(path)
        if pieces is None:
            text = self._text(path) or ""
            pieces = self._whole[path] = _unread({path: text, **self.imported_modules(path, text)})
        return pieces

    def imported_modules(self, path: str, text: str, depth: int = 3) -> Dict[str, str]:
        """``{module file: text}`` of the project modules ``text`` imports, and of theirs (to
        ``depth``), nearest first, read off their import lines (no parse): what the pre-filter
        reads for a text Python cannot parse."""
        found: Dict[str, str] = {}
        frontier = [(os.path.abspath(path), text)]
        for _ in range(depth):
            following = []
            for importer, source in frontier:
                for name in imported_names(source):
                    located = self.locator.locate(importer, name)
                    module = located[0] if located is not None else None
                    if module is None or module in found or module == os.path.abspath(path):
                        continue
                    module_text = self._text(module)
                    if module_text is not None:
                        found[module] = module_text
                        following.append((module, module_text))
            frontier = following
        return found

    def forget(self, path: str) -> None:
        """Read ``path`` afresh next time, and look up where imports lead afresh (a new module
        file may now be the one an import finds)."""
        self._files.pop(path, None)
        self.locate_afresh()

    def locate_afresh(self) -> None:
        """Look up where imports lead afresh: a module file may have been created or removed."""
        self._outlines.clear()  # they keep where their names led, which a new file may change
        self._whole.clear()
        self.locator.forget()

    def reread(self, path: str) -> None:
        """Read ``path`` afresh next time (its text changed; where imports lead did not)."""
        self._files.pop(path, None)

    def _text(self, path: str) -> Optional[str]:
        """The module's text, None when it cannot be read or is empty (nothing to reach)."""
        digest = self.digest(path)
        return (self._source(path, digest) or None) if digest is not None else None

    def _source(self, path: str, digest: str) -> Optional[str]:
        """The module's text, the editor's unsaved one or the file's, if it is still the text of
        ``digest`` (what this run saw of it: a file is looked at once per run, by `digest`); None
        when it cannot be read or has changed since."""
        if path in self.unsaved:
            unsaved = self.unsaved[path]
            return unsaved if self._digest(path, unsaved) == digest else None
        text = _read(path)
        return text if text is not None and _sha(text) == digest else None


_IMPORT = re.compile(r"^[ \t]*import[ \t]+([\w. \t,]+)", re.MULTILINE)
_FROM = re.compile(r"^[ \t]*from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+\(?([\w \t,]*)", re.MULTILINE)


def imported_names(text: str) -> List[str]:
    """Every module name an `import` / `from ... import` line of ``text`` may bring in: `a.b` for
    `import a.b`, `pkg` for `from pkg import x`, and `.x` for `from . import x` (where `x` may be
    a module). Read off the text: a line inside a string counts too, which only over-approximates."""
    names: List[str] = []
    for match in _IMPORT.finditer(text):
        names.extend(part.split()[0] for part in match.group(1).split(",") if part.split())
    for match in _FROM.finditer(text):
        base = match.group(1)
        if base.strip("."):
            names.append(base)
        else:  # `from . import misc, utils`: each name may be a module of the package
            names.extend(base + part.split()[0] for part in match.group(2).split(",") if part.split())
    return names


def _unread(texts: Mapping[str, str]) -> List[Tuple[str, Piece]]:
    """Module texts (by file) Python's parser could not read (or was not asked to), each as one
    piece: all of it counts."""
    return [(module, Piece(text, frozenset(), {}, parsed=False)) for module, text in texts.items()]


def _load_outline(entry: str) -> Optional[Outline]:
    try:
        with open(entry, "rb") as handle:
            return Outline.from_data(marshal.load(handle))
    except (OSError, EOFError, ValueError, TypeError, AttributeError, KeyError):
        return None  # none yet, or written by another Python: built again


def _stamp(path: str) -> Optional[Tuple[int, int]]:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_size, status.st_mtime_ns


def _read(path: str) -> Optional[str]:
    """A module's text in its declared encoding (PEP 263); None when it cannot be read."""
    try:
        if os.path.getsize(path) > _MAX_MODULE_SIZE:
            return None
        with open(path, "rb") as handle:
            data = handle.read()
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding)
    except (OSError, SyntaxError, UnicodeDecodeError, LookupError):
        return None


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


_INDEXES: Dict[Tuple[str, Tuple[str, ...], str], ProjectIndex] = {}


def new_run(files: Sequence[str] = (), analysed: Optional[Analysed] = None) -> None:
    """A run over ``files`` starts (`lint_paths`, `process_file`): every index looks at the module
    files it read again, once (a file may have changed since the last run), and keeps the model
    of one of ``files`` that it parses for a summary and that ``analysed`` says its lint will
    analyse, for that lint."""
    look_again()
    _RUN.files = frozenset(os.path.abspath(path) for path in files)
    _RUN.analysed = analysed
    for index in _INDEXES.values():
        index.release_all()
        index.locate_afresh()  # a module file may have appeared or gone since the last run


def look_again() -> None:
    """Every index looks at the module files it read again, once each, from now on (a long-lived
    process, between two lints: a file may have changed on disk unannounced)."""
    _RUN.number += 1


def keep_no_models() -> None:
    """From now on, this run keeps no model (its files are linted by worker processes)."""
    _RUN.analysed = None
    for index in _INDEXES.values():
        index.release_all()


def release_model(path: str) -> None:
    """The run is done with the file ``path``: no index keeps its model any longer."""
    for index in _INDEXES.values():
        index.release(os.path.abspath(path))


def store_grown() -> None:
    """Write to the disk cache the summaries whose facts grew (a lint read facts not computed yet)."""
    for index in _INDEXES.values():
        index.grown()


def let_models_go() -> None:
    """No summary holds its model any longer (a long-lived process between two lints: the facts
    read so far are kept, a fact not computed yet parses its module again)."""
    for index in _INDEXES.values():
        index.let_models_go()


def waiting_files() -> List[str]:
    """The run's files whose models some index keeps for their lints: lint them next."""
    return [path for index in _INDEXES.values() for path in index.waiting()]


def forget_file(path: str) -> None:
    """A file was created, changed or removed on disk (a long-lived process such as the language
    server hears of it): every index reads it, and looks up where imports lead, afresh."""
    for index in _INDEXES.values():
        index.forget(os.path.abspath(path))


def reread_file(path: str) -> None:
    """The run itself rewrote ``path`` (`--fix`): the files linted after it read its new text."""
    for index in _INDEXES.values():
        index.reread(os.path.abspath(path))


def index_for(project: ProjectSettings, cache_dir: Optional[str] = None) -> Optional[ProjectIndex]:
    """The process's index of ``project`` (one per project and cache folder); None without a project root."""
    if not project.root:
        return None
    key = (project.root, project.src, cache_dir or "")
    index = _INDEXES.get(key)
    if index is None or index.project != project:
        index = _INDEXES[key] = ProjectIndex(project, cache_dir)
    return index
