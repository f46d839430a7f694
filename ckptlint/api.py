"""The one entry point for the CLI, the language server and the hook.

`lint_source` / `fix_source` work on text (no file is touched); `lint_paths`
reads files (each once, `.py` and notebooks alike), lints or fixes them, and
writes fixed files back in place, in their own encoding and line endings;
`add_noqa_paths` marks every finding with a `# noqa`. This module only names
them: the pipeline lives in `engine.analysis` and `engine.session`.
"""

from ckptlint.engine.analysis import fix_source, lint_source
from ckptlint.engine.session.noqa import NoqaReport, add_noqa_paths
from ckptlint.engine.session.pool import lint_paths
from ckptlint.engine.session.process import process_document, process_file
from ckptlint.engine.session.report import FileReport, FixMode, RunReport

__all__ = [
    "FileReport",
    "FixMode",
    "NoqaReport",
    "RunReport",
    "add_noqa_paths",
    "fix_source",
    "lint_paths",
    "lint_source",
    "process_document",
    "process_file",
]
