"""What the check command prints around the reporter's output."""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING, TextIO

import click

if TYPE_CHECKING:
    from ckptlint.diagnostics import Diagnostic
    from ckptlint.engine.session.report import RunReport


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(report: "RunReport", fixing: bool) -> str:
    """The lines after the findings, worded as ruff words them.

    `[*]` counts the fixes `--fix` applies with this run's settings; fixes
    that need `--unsafe-fixes` are "hidden". When some are unsafe only because
    they add the first `ckptlint.runtime` import to a project that does not
    declare the runtime, the last line says how to make them safe.
    """
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
    fixable = sum(1 for d in diagnostics if report.applicable(d))
    hidden = [d for d in diagnostics if d.fix is not None and not report.applicable(d) and _unsafe(d)]
    hidden_fixes = f"{len(hidden)} hidden fix{'' if len(hidden) == 1 else 'es'}"
    more = f" ({hidden_fixes} can be enabled with the `--unsafe-fixes` option)" if hidden else ""
    if fixable:
        lines.append(f"[*] {fixable} fixable with the `--fix` option{more}.")
    elif hidden:
        lines.append(f"No fixes available{more}.")
    waiting = sum(1 for d in hidden if _unsafe_only_for_the_runtime(d))
    if waiting:
        lines.append(
            f"{waiting} of the hidden fixes {'is' if waiting == 1 else 'are'} unsafe only because "
            "the project does not declare the runtime companion: declare `runtime = true` "
            "in [tool.ckptlint] to make these safe."
        )
    if report.errors:
        lines.append(f"{_plural(len(report.errors), 'file')} could not be linted (see above).")
    return "\n".join(lines)


def _unsafe(diagnostic: "Diagnostic") -> bool:
    from ckptlint.fixes.model import Applicability

    return diagnostic.fix is not None and diagnostic.fix.applicability is Applicability.UNSAFE


def _unsafe_only_for_the_runtime(diagnostic: "Diagnostic") -> bool:
    """An unsafe fix from a rule whose fixes are all safe (the catalog's fix
    class) is one the engine made unsafe: it adds the first runtime import."""
    from ckptlint.rules.table import find_info

    fix = diagnostic.fix
    rule = find_info(diagnostic.code)
    return fix is not None and fix.adds_runtime_import and rule is not None and rule.fix_class == "safe"


def write_statistics(report: "RunReport", out: TextIO) -> None:
    counts = collections.Counter((d.code, d.name) for d in report.diagnostics)
    fixable = {d.code for d in report.diagnostics if report.applicable(d)}
    for (code, name), count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        marker = "[*]" if code in fixable else "   "
        out.write(f"{count:>5}  {code}  {marker} {name}\n")


def write_fixes(report: "RunReport", out: TextIO, fixing: bool) -> None:
    """`--show-fixes`: the fixes applied (with `--fix`) or that `--fix` would apply, per file and rule."""
    from ckptlint.rules.table import find_info

    per_file = []
    for file in sorted(report.files, key=lambda f: f.path):
        applied = list(file.fixed_codes) if fixing else [d.code for d in file.diagnostics if report.applicable(d)]
        if applied:
            per_file.append((file.path, collections.Counter(applied)))
    total = sum(sum(counts.values()) for _, counts in per_file)
    if not total:
        return
    out.write(f"{'Fixed' if fixing else 'Would fix'} {_plural(total, 'finding')}:\n")
    for path, counts in per_file:
        out.write(f"- {path}:\n")
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            info = find_info(code)
            out.write(f"    {count} x {code} ({info.name if info else '?'})\n")


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
