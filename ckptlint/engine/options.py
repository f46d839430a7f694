"""How one text is analysed, beyond which rules run: what the caller will read, and when to stop.

- `fixes`: build each finding's fix during the lint (the command line's
  reporters, `--fix` and `--diff` show or apply them). Without it a finding
  carries a builder instead (`Diagnostic.fix_later`), and `fix_of` builds
  the fix when someone asks: the language server asks only for the findings
  under the cursor.
- `cancelled`: asked between the stages of a lint (after the parse, after the
  model, before each rule and each site a rule checks); once it says yes the
  lint stops with `Cancelled`. A language server's lint that a newer edit
  superseded stops there instead of running to its end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Optional

if TYPE_CHECKING:
    from ckptlint.diagnostics import Diagnostic
    from ckptlint.fixes.model import Fix


class Cancelled(BaseException):
    """A lint stopped because its result is no longer wanted. A `BaseException`, like
    `asyncio.CancelledError`: the per-rule and per-file boundaries that turn a failure into a
    `FileError` must let it through."""


def _never() -> bool:
    return False


@dataclass(frozen=True)
class LintOptions:
    fixes: bool = True
    cancelled: Callable[[], bool] = _never

    def checkpoint(self) -> None:
        """Raise `Cancelled` if the lint is no longer wanted."""
        if self.cancelled():
            raise Cancelled()


DEFAULT = LintOptions()


def fix_of(diagnostic: "Diagnostic") -> "Optional[Fix]":
    """The finding's fix: the one built during the lint, or built now from its builder (None when
    the builder fails: a fix that cannot be built is not offered)."""
    if diagnostic.fix_later is None:
        return diagnostic.fix
    return diagnostic.fix_later()
