"""The code of other modules that a file reaches through the names it imports, for the pre-filter.

A fact a file learns from another module comes from the summary of a name the
file imports (a save helper, a model class, a module-level object), and a
name's summary is built from the name's own code and the code that code names
in turn. So the words a cross-module fact can depend on are those of the code
reachable from the file's imported names, not of every module on the way:
`from lightning.fabric.utilities import rank_zero_only` reaches the definition
of `rank_zero_only` (through the package's re-export), not every module the
package's `__init__.py` imports.

Reachable, on the modules' outlines (`outline.py`): from every piece of the
file, each dotted name it mentions whose first name an import binds, as the
qualified name it spells (`utils.save_ckpt` after `from pkg import utils` is
`pkg.utils.save_ckpt`); in a module reached, the pieces binding the name, and
what the module's imports and star imports bind it to; from each piece
reached, the same again. A method of a class reached is reached once its name
is mentioned by the file or by code reached (a fact about another module's
method is read at a call that names it: `trainer.fit()`, `self.save(...)` in a
subclass), and at once when it is a special method Python calls unnamed
(`__init__`, `__call__`, `__enter__`...). A module Python's parser cannot read counts whole,
with the modules it imports (libcst may still read it, and its summary would
count). A module outside the project is never reached: its facts come from the
catalog, whose words are the file's own. A name bound by an import counts with
the words of what it imports (`S` after `from torch import save as S` is a `save`).

The same walk, from one imported name, tells a rule's fact that the name's
summary is not worth building (`finds`): a function whose code, and the code it
reaches, holds no `save` is no save helper, whatever else it does.
"""

from __future__ import annotations

from typing import AbstractSet, Callable, Dict, FrozenSet, Iterable, Iterator, List, Optional, Set, Tuple

from ckptlint.semantic.core.words import Words, identifier_test
from ckptlint.semantic.program.outline import Outline, Piece

Located = Optional[Tuple[str, Tuple[str, ...]]]
Locate = Callable[[str, str], Located]  # (importer file, qualified name) -> (module file, attributes)
OutlineOf = Callable[[str], Optional[Outline]]
WholeTexts = Callable[[str], List[Tuple[str, Piece]]]  # a module's whole text, and its imports': (module file, piece)
Name = Tuple[str, str, Tuple[str, ...]]  # (module file, name it binds, attributes after it)
Held = Tuple[str, Outline, Piece]  # a piece, with the module it is in


class Closure:
    """The pieces of other modules reached from a file, walked only as far as the questions asked
    of it need: the walk stops at the first piece holding the word asked (a training script's
    rules ask a handful of words, most of them held by the first modules reached), so the modules
    the rest of the walk would outline are not read for it. A word not held walks it all.

    Each module file the walk reads is told to ``looked`` as it is met: the answers depend on
    those files' texts (a rule left out because no module reached holds its word must run once
    one does), so a lint that asked counts them as read."""

    __slots__ = ("_pending", "_walked", "_idents", "_modules", "_looked")

    def __init__(self, pieces: Iterable[Tuple[str, Piece]], looked: Callable[[str], None]) -> None:
        """``pieces``: (module file, piece), in the order the walk reaches them."""
        self._pending: Optional[Iterator[Tuple[str, Piece]]] = iter(pieces)
        self._walked: List[Piece] = []
        self._idents: Set[str] = set()  # of the pieces walked so far, and the names they spell
        self._modules: Set[str] = set()
        self._looked = looked

    @property
    def pieces(self) -> List[Piece]:
        """Every piece reached: the whole walk."""
        self._walk_until(lambda idents: False)
        return self._walked

    def has(self, word: str) -> bool:
        """Whether ``word`` (a pre-filter word, `*` and `(?i)` included) is one of the identifiers
        of the code reached: a piece's own, or a name its imports spell."""
        holds = identifier_test(frozenset((word,)))
        return holds(self._idents) or self._walk_until(holds)

    def _walk_until(self, holds: Callable[[AbstractSet[str]], bool]) -> bool:
        """Walk on to the first piece whose identifiers satisfy ``holds``; False at the walk's end."""
        if self._pending is None:
            return False
        for module, piece in self._pending:
            if module not in self._modules:
                self._modules.add(module)
                self._looked(module)
            self._walked.append(piece)
            idents = piece.idents | piece.spelled if piece.spelled else piece.idents
            self._idents |= idents
            if holds(idents):
                return True
        self._pending = None
        return False


class Reach:
    """Where the names and pieces of a project's modules lead. Each step is worked out once and
    kept with the outline it read (a piece's targets on the piece, a name's pieces on its
    module's outline): many files reach the same code, and a module whose text changes gets a
    new outline, so nothing stale is kept."""

    def __init__(self, locate: Locate, outline_of: OutlineOf, whole: WholeTexts) -> None:
        self._locate = locate
        self._outline_of = outline_of
        self._whole = whole

    def closure(self, path: str, own: Outline, looked: Callable[[str], None]) -> Closure:
        """What the file ``path`` (outlined as ``own``) reaches: every piece of it, its classes'
        methods included, is a start (its own words count anyway). A name of the file itself is
        not followed (its text may be an editor's, not the file's). ``looked`` is told each other
        module file the walk reads."""
        starts = [(path, own, part) for piece in own.pieces for part in (piece, *(m for _, m in piece.methods))]

        def other_module(module: str) -> None:
            if module != path:
                looked(module)

        return Closure(((module, piece) for module, _, piece in self._pieces(path, [], starts, set())), other_module)

    def finds(self, name: Name, words: FrozenSet[str]) -> Tuple[bool, Set[str]]:
        """Whether the code reached from ``name`` holds one of ``words`` (pre-filter words), and
        the module files looked at to tell: a fact a summary gives of the name (a save helper, a
        seeding helper) comes from that code, so a name whose code holds none of the fact's words
        needs no summary. The walk stops at the first word found. A method named in ``name``'s
        attributes (`Trainer.fit`) counts as mentioned."""
        looked: Set[str] = set()
        holds = identifier_test(words)
        for module, _, piece in self._pieces(None, [name], [], set(name[2])):
            looked.add(module)
            if holds(piece.idents) or (piece.spelled and holds(piece.spelled)):
                return True, looked
        return False, looked

    def _pieces(self, path: Optional[str], names: List[Name], pieces: List[Held], mentioned: Set[str]) -> Iterator[Held]:
        """Each piece reached from ``names`` and ``pieces``, once, as it is reached."""
        reached: Set[int] = set()
        seen: Set[Name] = set()
        waiting: Dict[str, List[Held]] = {}
        while names or pieces:
            while pieces:
                held = pieces.pop()
                piece = held[2]
                if id(piece) in reached:
                    continue
                reached.add(id(piece))
                for ident in piece.idents - mentioned:
                    mentioned.add(ident)
                    pieces.extend(waiting.pop(ident, ()))
                for method_name, method in piece.methods:
                    if method_name in mentioned or (method_name.startswith("__") and method_name.endswith("__")):
                        pieces.append((held[0], held[1], method))
                    else:
                        waiting.setdefault(method_name, []).append((held[0], held[1], method))
                names.extend(self._targets_of(held))
                yield held
            while names:
                name = names.pop()
                if name not in seen and name[0] != path:
                    seen.add(name)
                    held_by, further = self._resolve_name(name)
                    pieces.extend(held_by)
                    names.extend(further)

    # -- one step ----------------------------------------------------------------
    def _targets_of(self, held: Held) -> List[Name]:
        """The names of other modules (and of its own) that a piece's dotted names lead to."""
        module, outline, piece = held
        if piece.targets is None:
            found: List[Name] = []
            spelled: Set[str] = set()
            for chain in piece.chains:
                head, _, rest = chain.partition(".")
                tail = tuple(rest.split(".")) if rest else ()
                for qualified in (*piece.imports.get(head, ()), *outline.imports.get(head, ())):
                    spelled.update(qualified.split("."))
                    found.extend(self._qualified(module, qualified, tail))
                if head in outline.binding:
                    found.append((module, head, ()))
                elif outline.stars and head not in piece.imports and head not in outline.imports:
                    for star in outline.stars:
                        found.extend(self._qualified(module, _join(star, head), tail))
            piece.targets = found
            piece.spelled = frozenset(spelled - piece.idents)
        return piece.targets

    def _qualified(self, importer: str, qualified: str, tail: Tuple[str, ...]) -> List[Name]:
        """Where ``qualified`` (and the attributes ``tail`` after it) leads, as ``importer`` names it."""
        spelled = ".".join((qualified, *tail)) if tail else qualified
        located = self._locate(importer, spelled)
        if located is None:
            return []
        module, rest = located
        if rest:
            return [(module, rest[0], rest[1:])]
        if "." in spelled.strip("."):  # `pkg.train`: the package's own name `train`, if it binds one
            package, _, last = spelled.rpartition(".")
            found = self._locate(importer, package)
            if found is not None and not found[1] and found[0].endswith("__init__.py"):
                return [(found[0], last, ())]
        return []

    def _resolve_name(self, name: Name) -> Tuple[List[Held], List[Name]]:
        """The pieces that bind ``name`` in its module, and the names its imports lead to."""
        module, bound, tail = name
        outline = self._outline_of(module)
        if outline is None:
            return [(file, _EMPTY, piece) for file, piece in self._whole(module)], []
        known = outline.resolved.get((bound, tail))
        if known is None:
            held = [(module, outline, piece) for piece in outline.binding.get(bound, ())]
            further: List[Name] = []
            for qualified in outline.imports.get(bound, ()):
                further.extend(self._qualified(module, qualified, tail))
            if not outline.binds(bound):
                for star in outline.stars:
                    further.extend(self._qualified(module, _join(star, bound), tail))
            known = outline.resolved[(bound, tail)] = (held, further)
        return known


_EMPTY = Outline([], {}, ())


def _join(base: str, name: str) -> str:
    return base + name if base.endswith(".") else f"{base}.{name}"


class ReachWords:
    """The words of a file's text, and of the code it reaches in other modules."""

    def __init__(self, own: Words, reach: Callable[[], Closure], local_only: FrozenSet[str] = frozenset()) -> None:
        """``reach`` is called the first time a word is not in ``own`` (never, for a file whose
        own words decide: its imports are then not even outlined)."""
        self._own = own
        self._reach = reach
        self._reached: Optional[Closure] = None
        self._local_only = local_only
        self._seen: Dict[object, bool] = {}

    def __contains__(self, word: object) -> bool:
        found = self._seen.get(word)
        if found is None:
            found = word in self._own or (word not in self._local_only and self._reached_code().has(str(word)))
            self._seen[word] = found
        return found

    def _reached_code(self) -> Closure:
        if self._reached is None:
            self._reached = self._reach()
        return self._reached
