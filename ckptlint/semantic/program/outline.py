"""A module's outline for the pre-filter: its top-level statements, what each binds and names.

Read with Python's own `ast` (several times cheaper than libcst's parse; the
outline never becomes the tree any rule reads). Each top-level statement other
than an import is a *piece*: its code (decorators included; comments and
strings left out, since no summary is read off them, but a string that is only
a dotted name, `"Net"`, kept, and an f-string, whose fields are code), the names it binds, the dotted names its code
mentions (`utils.save`, `Net`, `self.model.state_dict`: every identifier chain,
which only over-approximates), and the imports inside it (a function's own
`import`). Docstrings and example strings are most of a library's mentions of
`save` and `load`. A class is cut in two: its own lines (decorators, bases,
class-level statements) and each of its methods, so that reaching a class
(`class Net(ModelMixin)`) does not reach every method of a library's mixins.
A compound statement (`try:` / `if:` around definitions) is one piece binding
every name bound anywhere inside it outside nested functions and classes.
Module-level imports, compound ones included, are the module's bindings, as the
qualified names they give (`from .misc import helper` binds `helper` to
`.misc.helper`); `from m import *` is kept apart.
"""

from __future__ import annotations

import ast
import re
import warnings
from sys import intern
from typing import Dict, FrozenSet, Iterator, List, Optional, Tuple


# An identifier and the attributes after it: `a.b.c` (and `a . b`, as Python reads it on one line).
_CHAIN = re.compile(r"(?!\d)\w+(?:[ \t]*\.[ \t]*(?!\d)\w+)*")
_BLANKS = re.compile(r"[ \t]+")
_LINE_END = re.compile(r"\r\n?|\n")
# Comments and string literals (any prefix, any quotes), in one left-to-right scan of a piece
# Python has parsed: a `#` inside a string is part of the string, a quote in a comment is not.
_NOT_CODE = re.compile(
    r"#[^\r\n]*"
    r"|[rRbBuUfF]{0,2}(?:" + '"""' + r"(?:\\.|[^\\])*?" + '"""'
    + r"|'''(?:\\.|[^\\])*?'''"
    + r'''|"(?:\\.|[^"\\\r\n])*"'''
    + r"""|'(?:\\.|[^'\\\r\n])*')""",
    re.DOTALL,
)
_F_STRING = re.compile(r"[rRbB]?[fF]")
_DOTTED = re.compile(r"""[rRbBuUfF]{0,2}(['"])[ \t]*[\w.]+[ \t]*\1""")

Imports = Dict[str, Tuple[str, ...]]  # bound name -> the qualified names an import gives it
FORMAT = 2  # of `Outline.to_data`: bump when what an outline keeps changes


class Piece:
    """One top-level statement of a module (or one method of a class): what the pre-filter and
    the reach need of it, not its text."""

    __slots__ = ("binds", "chains", "idents", "imports", "methods", "spelled", "targets")

    def __init__(self, text: str, binds: FrozenSet[str], imports: Imports, parsed: bool = True) -> None:
        """``text``: the statement's source; with ``parsed`` (Python read it) only its code counts,
        else all of it (a scan for strings could go wrong on a text Python rejects)."""
        code = code_of(text) if parsed else text
        self.binds = binds
        # Interned: the same few hundred names recur in every piece of a project, and a run keeps
        # the outline of every module it reaches.
        self.chains = frozenset(map(_chain, set(_CHAIN.findall(code))))
        self.idents = frozenset(map(intern, ".".join(self.chains).split("."))) if self.chains else frozenset()
        self.imports = imports
        self.methods: Tuple[Tuple[str, Piece], ...] = ()  # a class's, by name
        self.targets: Optional[list] = None  # where its dotted names lead (`reach.py` fills it)
        # The words of the imports its names are bound by, not already its own (`save` for `S(...)`
        # after `from torch import save as S`): `reach.py` fills it with `targets`.
        self.spelled: Optional[FrozenSet[str]] = None

    def to_data(self) -> tuple:
        """The piece as plain data (`marshal` can write it): what `from_data` rebuilds it from."""
        return (tuple(self.binds), tuple(self.chains), dict(self.imports), tuple((name, method.to_data()) for name, method in self.methods))

    @classmethod
    def from_data(cls, data: tuple) -> "Piece":
        binds, chains, imports, methods = data
        piece = cls.__new__(cls)
        piece.binds = frozenset(binds)
        piece.chains = frozenset(map(intern, chains))
        piece.idents = frozenset(map(intern, ".".join(chains).split("."))) if chains else frozenset()
        piece.imports = {name: tuple(qualified) for name, qualified in imports.items()}
        piece.methods = tuple((name, cls.from_data(method)) for name, method in methods)
        piece.targets = None
        piece.spelled = None
        return piece


class Outline:
    """A module's pieces, by the names they bind, and its module-level imports."""

    def to_data(self) -> tuple:
        """The outline as plain data, for the disk cache (`from_data` rebuilds it)."""
        return (FORMAT, tuple(piece.to_data() for piece in self.pieces), dict(self.imports), self.stars)

    @classmethod
    def from_data(cls, data: tuple) -> Optional["Outline"]:
        """The outline ``to_data`` gave; None for data of another format."""
        if not isinstance(data, tuple) or len(data) != 4 or data[0] != FORMAT:
            return None
        _, pieces, imports, stars = data
        return cls([Piece.from_data(piece) for piece in pieces], {k: tuple(v) for k, v in imports.items()}, tuple(stars))

    def __init__(self, pieces: List[Piece], imports: Imports, stars: Tuple[str, ...]) -> None:
        self.pieces = pieces
        self.imports = imports
        self.stars = stars
        self.resolved: dict = {}  # what a name of it leads to (`reach.py` fills it)
        self.binding: Dict[str, List[Piece]] = {}
        for piece in pieces:
            for name in piece.binds:
                self.binding.setdefault(name, []).append(piece)

    def binds(self, name: str) -> bool:
        return name in self.binding or name in self.imports


def _chain(spelled: str) -> str:
    """A dotted name as found (`a . b`), as it is meant (`a.b`), interned."""
    return intern(_BLANKS.sub("", spelled) if " " in spelled or "\t" in spelled else spelled)


def code_of(text: str) -> str:
    """``text`` without its comments and strings (a string that is only a dotted name stays)."""
    return _NOT_CODE.sub(_blank, text)


def _blank(match: "re.Match[str]") -> str:
    text = match.group(0)
    if _DOTTED.fullmatch(text) or _F_STRING.match(text):
        return text  # a dotted name, or an f-string (its fields are code: `f"{utils.save(x)}"`)
    return " "


def outline(text: str) -> Optional[Outline]:
    """The outline of ``text``; None when Python's parser cannot read it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # `SyntaxWarning`s are about the user's code
            tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    lines = _Lines(text)
    pieces: List[Piece] = []
    imports: Imports = {}
    stars: List[str] = []
    for statement in tree.body:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            _bind(imports, stars, statement)
        elif isinstance(statement, ast.ClassDef):
            pieces.append(_class_piece(statement, lines))
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            pieces.append(_definition_piece(statement, lines))
        else:
            piece_text = lines.of(statement)
            names: List[str] = []
            for node in _module_level_nodes(statement):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    _bind(imports, stars, node)  # module-level imports under `try:` / `if:`
                elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    names.append(node.name)
                elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    names.append(node.id)
            pieces.append(Piece(piece_text, frozenset(names), {}))
    return Outline(pieces, imports, tuple(stars))


class _Lines:
    """Slices of a text by the line numbers `ast` gives."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0, *[match.end() for match in _LINE_END.finditer(text)], len(text)]

    def span(self, node: ast.stmt) -> Tuple[int, int]:
        """The first and last line of ``node``, its decorators included."""
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
        return first, node.end_lineno or first

    def between(self, first: int, last: int) -> str:
        return self.text[self.starts[first - 1]:self.starts[min(last, len(self.starts) - 1)]]

    def of(self, node: ast.stmt) -> str:
        return self.between(*self.span(node))


def _definition_piece(definition: ast.stmt, lines: _Lines) -> Piece:
    """A function (or method): its text, and the imports inside it (looked for only when the
    word occurs)."""
    text = lines.of(definition)
    inner: Imports = {}
    if "import" in text:
        for node in _statements_within(definition):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                _bind(inner, [], node)
    return Piece(text, frozenset([definition.name]), inner)  # type: ignore[attr-defined]


_BODIES = ("body", "orelse", "finalbody", "handlers", "cases")


def _statements_within(node: ast.AST) -> Iterator[ast.AST]:
    """Every statement inside ``node``, at any depth (an import is a statement: expressions, most
    of a function's nodes, are not visited)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        for field in _BODIES:
            stack.extend(getattr(current, field, ()))


def _class_piece(class_def: ast.ClassDef, lines: _Lines) -> Piece:
    """A class: its own lines (decorators, bases, class-level statements) as one piece, its
    methods as pieces of their own, reached only where their names are mentioned."""
    first, last = lines.span(class_def)
    methods = [s for s in class_def.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
    parts, at = [], first
    for method in methods:
        start, end = lines.span(method)
        parts.append(lines.between(at, start - 1) if start > at else "")
        at = end + 1
    parts.append(lines.between(at, last) if last >= at else "")
    shell = Piece("".join(parts), frozenset([class_def.name]), {})
    shell.methods = tuple((method.name, _definition_piece(method, lines)) for method in methods)
    return shell


def _module_level_nodes(statement: ast.stmt) -> Iterator[ast.AST]:
    """The nodes of ``statement`` that run at module level: not the bodies of the functions and
    classes it defines (their names are yielded)."""
    stack: List[ast.AST] = [statement]
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))


def _bind(imports: Imports, stars: List[str], node: ast.stmt) -> None:
    """Record what an import statement binds, as qualified names (relative ones keep their dots)."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                _add(imports, alias.asname, alias.name)
            else:  # `import a.b` binds `a`; `a.b.f` then spells the whole qualified name
                _add(imports, alias.name.split(".")[0], alias.name.split(".")[0])
        return
    assert isinstance(node, ast.ImportFrom)
    base = "." * (node.level or 0) + (node.module or "")
    for alias in node.names:
        if alias.name == "*":
            stars.append(base)
            continue
        qualified = f"{base}{alias.name}" if base.endswith(".") or not base else f"{base}.{alias.name}"
        _add(imports, alias.asname or alias.name, qualified)


def _add(imports: Imports, name: str, qualified: str) -> None:
    known = imports.get(name, ())
    if qualified not in known:
        imports[name] = (*known, qualified)
