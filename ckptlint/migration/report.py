"""What `ckptlint migrate` did to one checkpoint: plain frozen data, rendered elsewhere.

Exit codes are `ckptlint inspect`'s, applied to the result: 0 the output (or,
with ``--dry-run``, the would-be output) is a complete checkpoint inspect
reports clean; 1 problems remain (the file needs ``--trust``, holds a value
that cannot be repaired, or inspect still reports something, such as missing
RNG state no rewrite can invent); 2 a path could not be read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Tuple

from ckptlint.inspection.report import EXIT_CLEAN, EXIT_PROBLEMS, EXIT_UNREADABLE, Finding

__all__ = ["MigrationReport", "Options", "STATUSES"]

# status -> meaning; "migrated"/"would migrate" wrote (or would write) a new file,
# "unchanged" needed no change, the others wrote nothing.
STATUSES = ("migrated", "would migrate", "unchanged", "needs --trust", "not migrated", "unreadable")


@dataclass(frozen=True)
class Options:
    """The command line's choices (see `ckptlint migrate --help`)."""

    out_dir: Optional[str] = None
    in_place: bool = False
    trust: bool = False
    dry_run: bool = False
    backup: bool = True
    allow_weights_only: bool = False
    imports: Tuple[str, ...] = ()
    renames: Tuple[Tuple[str, str], ...] = ()


@dataclass(frozen=True)
class MigrationReport:
    """One source checkpoint: where it went, what changed, what is still wrong."""

    path: str
    status: str
    output: Optional[str] = None
    backup: Optional[str] = None
    loaded: str = ""  # how the file was read ("weights_only=True", "... allowing ...", "--trust")
    changes: Tuple[str, ...] = ()
    remaining: Tuple[Finding, ...] = ()  # what inspect reports about the result
    problems: Tuple[str, ...] = ()  # why nothing was written
    globals: Tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        if self.status == "unreadable":
            return EXIT_UNREADABLE
        if self.problems or self.remaining or self.status in ("needs --trust", "not migrated"):
            return EXIT_PROBLEMS
        return EXIT_CLEAN
