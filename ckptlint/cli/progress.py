"""A progress bar on stderr for long runs, for people at a terminal only.

Shown when stderr is a terminal, more than `THRESHOLD` files are linted,
the output is not a machine format, `-q` was not given, and neither
`NO_COLOR` nor `TERM=dumb` asks for plain output (a log captured from a
terminal must not fill up with redraws). It redraws one line and erases it
when the run ends, so the findings that follow are never interleaved with it.
"""

from __future__ import annotations

import os
import time
from typing import Optional, TextIO

import click

THRESHOLD = 200  # below this a run is quick enough to need no bar
MACHINE_FORMATS = ("json", "sarif", "github")
WIDTH = 30
_ERASE = "\r\x1b[2K"


def wants_progress(stream: TextIO, output_format: str, quiet: bool) -> bool:
    if quiet or output_format in MACHINE_FORMATS:
        return False
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class ProgressBar:
    """`progress(done, total)` callback for `lint_paths`; `close()` erases it."""

    def __init__(self, stream: TextIO, threshold: int = THRESHOLD, interval: float = 0.1) -> None:
        self.stream = stream
        self.threshold = threshold
        self.interval = interval
        self._last: Optional[float] = None
        self._drawn = False

    def __call__(self, done: int, total: int) -> None:
        if total <= self.threshold:
            return
        now = time.monotonic()
        if self._last is not None and done < total and now - self._last < self.interval:
            return
        self._last = now
        filled = WIDTH * done // total
        bar = (click.style("#" * filled, fg="cyan") if filled else "") + "-" * (WIDTH - filled)
        self.stream.write(f"{_ERASE}Linting [{bar}] {done}/{total} files")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write(_ERASE)
            self.stream.flush()
            self._drawn = False
