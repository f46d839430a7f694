"""libcst's parse, without validating nodes the parser itself built.

libcst validates every node when it is constructed (`CSTNode.__post_init__`
calls `_validate`), the nodes its parser builds from source text included.
Those checks catch trees built by hand that no source could give (a `Name`
that is no identifier, a `Call` without parentheses); the parser's output
passes them by construction. libcst's own comment on that hook says
validation "might make more sense" in the visitor, "which would allow us to
avoid validating the tree when parsing a file". On real modules the checks are
a fifth of the parse, and a lint parses every module it summarises.

So a parse sets the hook to nothing while it runs, and only when the hook is
the one this was written against (it does nothing but call `_validate`); with
a libcst whose hook does more, parses validate as before. Nodes built by hand
(fixes) are validated as always: the hook is libcst's again once the parse
returns, and parses take a lock, so the hook is never left off. A node another
thread builds during a parse is not validated; every fix is parsed again
before it is offered or written, which catches what validation would.
"""

from __future__ import annotations

import threading

import libcst as cst
from libcst._nodes.base import CSTNode  # private: the hook is checked below before it is touched

_VALIDATE = CSTNode.__post_init__
_LOCK = threading.Lock()


def _validates_only(hook: object) -> bool:
    code = getattr(hook, "__code__", None)
    return code is not None and code.co_names == ("_validate",) and code.co_argcount == 1


def _not_validated(self: CSTNode) -> None:
    return None


SKIPS_VALIDATION = _validates_only(_VALIDATE)


def parse_module(text: str) -> cst.Module:
    """`libcst.parse_module(text)`: the same tree, the same errors, less time."""
    if not SKIPS_VALIDATION:
        return cst.parse_module(text)
    with _LOCK:
        CSTNode.__post_init__ = _not_validated  # type: ignore[method-assign]
        try:
            return cst.parse_module(text)
        finally:
            CSTNode.__post_init__ = _VALIDATE  # type: ignore[method-assign]
