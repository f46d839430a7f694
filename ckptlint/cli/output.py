"""What the check command prints around the reporter's output."""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING, TextIO

import click

if TYPE_CHECKING:
    from ckptlint.api import RunReport


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(report: "RunReport", fixing: bool, unsafe: bool) -> str:
    from ckptlint.fixes.model import Applicability

    diagnostics = report.diagnostics
    if not diagnostics and not report.errors:
        if report.fixed:
            return f"Found {_plural(report.fixed, 'finding')} ({report.fixed} fixed, 0 remaining)."
        return "All checks passed!"
    lines = []
    if fixing and report.fixed:
        lines.append(
            f"Found {_plural(report.fixed + len(diagnostics), 'finding')} "
            f"({report.fixed} fixed, {len(diagnostics)} remaining)."
        )
    elif diagnostics:
        lines.append(f"Found {_plural(len(diagnostics), 'finding')}.")
    safe = sum(1 for d in diagnostics if d.fix and d.fix.applicability is Applicability.SAFE)
    unsafe_count = sum(1 for d in diagnostics if d.fix and d.fix.applicability is Applicability.UNSAFE)
    if safe or (unsafe_count and unsafe):
        fixable = safe + (unsafe_count if unsafe else 0)
        more = f" ({unsafe_count} more with `--unsafe-fixes`)" if unsafe_count and not unsafe else ""
        lines.append(f"[*] {fixable} fixable with `--fix`{more}.")
    elif unsafe_count:
        lines.append(f"{unsafe_count} fixable with `--fix --unsafe-fixes`.")
    if report.errors:
        lines.append(f"{_plural(len(report.errors), 'file error')} (see above).")
    return "\n".join(lines)


def write_statistics(report: "RunReport", out: TextIO) -> None:
    counts = collections.Counter((d.code, d.name) for d in report.diagnostics)
    fixable = {d.code for d in report.diagnostics if d.fix is not None}
    for (code, name), count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        marker = "[*]" if code in fixable else "   "
        out.write(f"{count:>5}  {code}  {marker} {name}\n")


def write_fixes(report: "RunReport", out: TextIO, fixing: bool, unsafe: bool) -> None:
    """`--show-fixes`: the fixes applied (with `--fix`) or that `--fix` would apply, per file and rule."""
    from ckptlint.rules.registry import BY_CODE

    per_file = []
    for file in sorted(report.files, key=lambda f: f.path):
        if fixing:
            applied = list(file.fixed_codes)
        else:
            applied = [d.code for d in file.diagnostics if d.fix is not None and d.fix.applicability.allowed(unsafe)]
        if applied:
            per_file.append((file.path, collections.Counter(applied)))
    total = sum(sum(counts.values()) for _, counts in per_file)
    if not total:
        return
    out.write(f"{'Fixed' if fixing else 'Would fix'} {_plural(total, 'finding')}:\n")
    for path, counts in per_file:
        out.write(f"- {path}:\n")
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            rule = BY_CODE.get(code)
            out.write(f"    {count} x {code} ({rule.name if rule else '?'})\n")


def use_color(stream: TextIO) -> bool:
    """Colour only on a terminal, and never with NO_COLOR set (click does not check it)."""
    import os

    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def default_format(stream: TextIO) -> str:
    """`full` for a person at a terminal, the one-line `concise` form for pipes and logs."""
    isatty = getattr(stream, "isatty", None)
    return "full" if isatty and isatty() else "concise"


def echo_error(message: str) -> None:
    click.echo(message, err=True)
