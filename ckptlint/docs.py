"""Rule documents, generated from the rule classes (never written by hand).

`python -m ckptlint.docs` writes `rules/CKPTnnn.md`; `--check` fails when a
document has drifted from its class. `ckptlint rule CODE` prints the same
text from the installed package.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import textwrap
from typing import List, Optional, Sequence, Type

from ckptlint.links import rule_url
from ckptlint.rules.base import FixAvailability, Rule
from ckptlint.rules.registry import RULES

REQUIRED_SECTIONS = ("## What it does", "## Why is this bad?", "## Example")


def docstring(rule: Type[Rule]) -> str:
    return textwrap.dedent(rule.__doc__ or "").strip()


def why(rule: Type[Rule]) -> str:
    """The first sentence of the rule's `## Why is this bad?` section (one line)."""
    lines = docstring(rule).splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "## Why is this bad?")
    except StopIteration:
        return ""
    paragraph: List[str] = []
    for line in lines[start + 1 :]:
        if not line.strip():
            if paragraph:
                break
            continue
        if line.startswith("#"):
            break
        paragraph.append(line.strip())
    text = " ".join(paragraph)
    # A short lead-in ("A checkpoint is a pickle.") explains nothing alone:
    # then the sentence that follows it is part of the reason.
    ends = [m.start() for m in re.finditer(r"(?<=[.!?])\s+(?=[A-Z`(])", text)]
    for end in ends:
        if end >= 40:
            return text[:end]
    return text


def render(rule: Type[Rule]) -> str:
    """The Markdown document of ``rule``."""
    default = "opt-in (enable it by its code or name, or with `ALL`)" if rule.opt_in else "on"
    if rule.fix_availability is FixAvailability.NEVER:
        fix = "none"
    else:
        fix = f"{rule.fix_class} ({rule.fix_title})"
    lines = [
        f"# {rule.code} {rule.name}",
        "",
        f"- Message: {rule.message}",
        f"- Default: {default}",
        f"- Fix: {fix}",
        f"- Suppress: `# noqa: {rule.code}` or `# ckptlint: disable={rule.name}` on the finding's line",
        "",
        docstring(rule),
        "",
    ]
    return "\n".join(lines)


def _repo_rules_dir() -> str:
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "rules")


def write_all(directory: str, check: bool = False) -> List[str]:
    """Write (or with ``check``, compare) every document; return the drifted paths."""
    drifted = []
    os.makedirs(directory, exist_ok=True)
    for rule in RULES:
        path = os.path.join(directory, f"{rule.code}.md")
        expected = render(rule)
        try:
            with open(path, encoding="utf-8", newline="") as handle:
                current: Optional[str] = handle.read()
        except FileNotFoundError:
            current = None
        if current != expected:
            drifted.append(path)
            if not check:
                with open(path, "w", encoding="utf-8", newline="\n") as handle:
                    handle.write(expected)
    return drifted


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ckptlint.docs", description=__doc__)
    parser.add_argument("--dir", default=_repo_rules_dir(), help="where the documents go")
    parser.add_argument("--check", action="store_true", help="fail if a document is out of date")
    args = parser.parse_args(argv)
    drifted = write_all(args.dir, check=args.check)
    for path in drifted:
        sys.stdout.write(f"{'out of date' if args.check else 'wrote'}: {path}\n")
    return 1 if (args.check and drifted) else 0


__all__ = ["render", "rule_url", "why", "write_all", "main"]

if __name__ == "__main__":
    sys.exit(main())
