"""`--add-noqa`: write a `# noqa: CODE` for every finding, file by file.

Files go through the same reader and source kinds as a check (notebooks get
their comments in the cells); the comments come from the one `# noqa` writer
the editor's "Disable" action uses too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, List, Optional, Sequence

from ckptlint.config.settings import Settings
from ckptlint.diagnostics import UNSUPPORTED_SYNTAX, FileError
from ckptlint.engine.analysis import lint_source
from ckptlint.engine.discovery import discover
from ckptlint.engine.session.documents import read_document
from ckptlint.engine.session.notebook import UnsupportedEdit
from ckptlint.engine.session.process import can_matter
from ckptlint.engine.source import SourceError, write_source
from ckptlint.engine.suppressions.writer import add_noqa

if TYPE_CHECKING:
    from ckptlint.config.hierarchy import Configurations


@dataclass
class NoqaReport:
    added: int = 0
    skipped: List[str] = field(default_factory=list)  # "path:line: reason"
    errors: List[FileError] = field(default_factory=list)


def add_noqa_paths(
    paths: Sequence[str], settings: Settings, configurations: "Optional[Configurations]" = None
) -> NoqaReport:
    """`--add-noqa`: write a `# noqa: CODE` for every finding, merging with existing ones (each file
    with its own project's settings when ``configurations`` are given)."""
    result = NoqaReport()
    files = [path for path in discover(paths, settings) if path != "-"]
    per_file = {path: configurations.for_path(path) for path in files} if configurations is not None else {}
    for path in files:
        _add_noqa_file(path, per_file.get(path, settings), result)
    return result


def _add_noqa_file(path: str, settings: Settings, result: NoqaReport) -> None:
    try:
        document = read_document(path, settings.max_file_size)
    except SourceError as exc:
        result.errors.append(FileError(path, str(exc)))
        return
    if not can_matter(document, settings):
        return
    outcome = lint_source(document.text, path, settings)
    result.errors.extend(document.error_to_user(error) for error in outcome.errors)
    written = add_noqa(document.text, outcome.diagnostics)
    for line, reason in written.skipped:
        result.skipped.append(f"{document.error_to_user(FileError(path, reason, line=line)).location()}: {reason}")
    if not written.added:
        return
    try:
        write_source(document.source, document.updated(written.text).content)
    except UnsupportedEdit as exc:
        result.errors.append(FileError(path, str(exc), kind=UNSUPPORTED_SYNTAX))
    except OSError as exc:
        result.errors.append(FileError(path, f"cannot add noqa: {exc.strerror or exc}"))
    else:
        result.added += written.added
