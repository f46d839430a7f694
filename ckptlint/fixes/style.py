"""The file's conventions that code a fix inserts follows (ruff's `Stylist`).

Quotes: the quote character most of the file's one-line string literals use
(f-strings included, docstrings and other triple-quoted strings not); double
quotes on a tie or when the file has none (PEP 8 does not choose, black does).
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Set

import libcst as cst

from ckptlint.semantic.core.walk import children

if TYPE_CHECKING:
    from ckptlint.semantic.model import SemanticModel

_QUOTES: "weakref.WeakKeyDictionary[SemanticModel, str]" = weakref.WeakKeyDictionary()


def preferred_quote(model: "SemanticModel") -> str:
    """`'` or `"`: what the majority of the file's string literals use."""
    found = _QUOTES.get(model)
    if found is None:
        found = _QUOTES[model] = _majority(_string_quotes(model))
    return found


def _string_quotes(model: "SemanticModel") -> Iterator[str]:
    """The quote of each one-line string literal of the file (f-strings included, not the
    strings inside an f-string's replacement fields), read off the model's one walk."""
    tree = model.tree
    for node in tree.nodes(cst.SimpleString, cst.FormattedString):
        if len(node.quote) == 1 and tree.enclosing(node, (cst.FormattedString,)) is None:
            yield node.quote


def _majority(quotes: Iterable[str]) -> str:
    quotes = list(quotes)
    return "'" if quotes.count("'") > quotes.count('"') else '"'


def follow_quotes(model: "SemanticModel", node: cst.CSTNode, existing: Set[int]) -> cst.CSTNode:
    """``node`` with the one-line string literals a fix created (those whose id is
    not in ``existing``) quoted as the file prefers, where their text allows it."""
    return node.visit(_Requote(lambda: preferred_quote(model), existing))  # type: ignore[return-value]


class _Requote(cst.CSTTransformer):
    def __init__(self, quote: Callable[[], str], existing: Set[int]) -> None:
        super().__init__()
        self.quote = quote  # asked only when a created string is found
        self.existing = existing

    def leave_SimpleString(self, original: cst.SimpleString, updated: cst.SimpleString) -> cst.SimpleString:
        if id(original) in self.existing or len(original.quote) != 1:
            return updated
        quote = self.quote()
        body = original.value[len(original.prefix) + 1 : -1]
        if original.quote == quote or quote in body or "\\" in body:
            return updated  # already right, or requoting would need escapes
        return updated.with_changes(value=f"{original.prefix}{quote}{body}{quote}")


def string_ids(node: cst.CSTNode) -> Set[int]:
    """The ids of the string literals under ``node`` (what a fix did not create)."""
    ids: Set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.SimpleString):
            ids.add(id(current))
        else:
            stack.extend(children(current))
    return ids
