"""The one place that knows where rule documentation lives.

Every surface that links to a rule (JSON, SARIF, the language server, the
full text output) asks here, so the URL can change in one line.
"""

from __future__ import annotations

DOCUMENTATION_BASE = "https://github.com/ckptlint/ckptlint/blob/main/rules"
PROJECT_URL = "https://github.com/ckptlint/ckptlint"


def rule_url(code: str) -> str:
    """The URL of the rendered document for rule ``code`` (``rules/CODE.md``)."""
    return f"{DOCUMENTATION_BASE}/{code}.md"
