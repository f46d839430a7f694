"""Source kinds: what a file is to the pipeline (ruff's `SourceKind`).

A document is the Python code ckptlint lints (`text`) and how that code sits
in its file. A `.py` file is its own code; a notebook's code is its code
cells joined (`notebook.py`). Every kind answers the same questions, so that
reading, the pre-filter, the cache, fixing and writing are one path for all:

- `to_user(diagnostic)`, `error_to_user(error)`: positions as users see them;
- `cell_texts()`: the text of each cell those positions refer to (None for a
  plain file, whose positions refer to `text`);
- `updated(new_text)`: the document holding fixed code (raises
  `notebook.UnsupportedEdit` when the fixed code cannot be put back);
- `content`: the file's content, as it would be written.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Dict, Optional, Union

from ckptlint.diagnostics import Diagnostic, FileError
from ckptlint.engine.session.notebook import NOTEBOOK_SUFFIX, NotebookDocument
from ckptlint.engine.source import SourceFile, decode_source, read_source


@dataclass(frozen=True)
class PythonDocument:
    """A Python source file: the code is the whole file."""

    source: SourceFile

    @property
    def path(self) -> str:
        return self.source.path

    @property
    def text(self) -> str:
        return self.source.text

    @property
    def content(self) -> str:
        return self.source.text

    def to_user(self, diagnostic: Diagnostic) -> Diagnostic:
        return diagnostic

    def error_to_user(self, error: FileError) -> FileError:
        return error

    def cell_texts(self) -> Optional[Dict[int, str]]:
        return None

    def updated(self, new_text: str) -> "PythonDocument":
        return PythonDocument(replace(self.source, text=new_text))


Document = Union[PythonDocument, NotebookDocument]


def from_source(source: SourceFile) -> Document:
    """The document a decoded file holds; `SourceError` if it is not what its name says."""
    if source.path.endswith(NOTEBOOK_SUFFIX):
        return NotebookDocument.from_source(source)
    return PythonDocument(source)


def read_document(path: str, max_bytes: int) -> Document:
    """Read ``path`` once; every failure is a `SourceError` with one line."""
    return from_source(read_source(path, max_bytes))


def decode_document(data: bytes, path: str) -> Document:
    """The document ``data`` (stdin, say) would be as the file ``path``."""
    return from_source(decode_source(data, path))


def text_document(text: str, path: str) -> Document:
    """An editor's buffer (already text) as the file ``path``."""
    return from_source(SourceFile(path=path, text=text, encoding="utf-8"))
