"""`ckptlint check [PATHS]` (and the bare `ckptlint [PATHS]`)."""

from __future__ import annotations

import difflib
import os
import sys
from typing import List, Optional, Sequence, Tuple

import click

from ckptlint.cli.output import default_format, echo_error, summary, use_color, write_fixes, write_statistics
from ckptlint.reporters import OUTPUT_FORMATS

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _split(values: Sequence[str]) -> List[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _diff(path: str, before: str, after: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{path}", f"b/{path}"
    )
    return "".join(line if line.endswith(("\n", "\r")) else line + "\n" for line in lines)


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--fix", is_flag=True, help="Apply safe fixes and write them back.")
@click.option("--unsafe-fixes", is_flag=True, help="Also apply (and count) unsafe fixes.")
@click.option("--diff", "show_diff", is_flag=True, help="Print the fixes as a unified diff; write nothing.")
@click.option("--select", multiple=True, help="Rules to enable: codes, prefixes (CKPT2), names or ALL.")
@click.option("--extend-select", multiple=True, help="Rules to enable on top of the selection.")
@click.option("--ignore", multiple=True, help="Rules to disable: codes, prefixes or names.")
@click.option(
    "--output-format",
    type=click.Choice(OUTPUT_FORMATS),
    default=None,
    envvar="CKPTLINT_OUTPUT_FORMAT",
    help="How findings are printed [default: full on a terminal, else concise].",
)
@click.option(
    "--output-file",
    "output_files",
    multiple=True,
    metavar="FORMAT:PATH",
    help="Also write the findings in FORMAT to PATH (repeatable), e.g. sarif:ckptlint.sarif.",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--exit-non-zero-on-fix", is_flag=True, help="Exit 1 when a fix was applied.")
@click.option("--statistics", is_flag=True, help="Print the number of findings per rule.")
@click.option("--show-fixes", is_flag=True, help="List the fixes applied (with --fix) or available, per file and rule.")
@click.option("--stdin-filename", help="The path to lint stdin as (with `-`).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Configuration file to use.")
@click.option("--isolated", is_flag=True, help="Ignore every configuration file.")
@click.option("--force-exclude", is_flag=True, default=None, help="Apply excludes to paths named explicitly.")
@click.option("-q", "--quiet", is_flag=True, help="Print findings only: no summary.")
@click.option("--add-noqa", is_flag=True, help="Add `# noqa: CODE` to every line with a finding.")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False), help="Ignore the findings recorded in this file.")
@click.option("--write-baseline", "write_baseline_path", type=click.Path(dir_okay=False), help="Record the current findings in this file and exit 0.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help="Worker processes (default: the number of cores).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the result cache.")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    envvar="CKPTLINT_CACHE_DIR",
    help="Where the result cache lives (default: .ckptlint_cache in the project root).",
)
def check(
    paths: Tuple[str, ...],
    fix: bool,
    unsafe_fixes: bool,
    show_diff: bool,
    select: Tuple[str, ...],
    extend_select: Tuple[str, ...],
    ignore: Tuple[str, ...],
    output_format: Optional[str],
    output_files: Tuple[str, ...],
    exit_zero: bool,
    exit_non_zero_on_fix: bool,
    statistics: bool,
    show_fixes: bool,
    stdin_filename: Optional[str],
    config_path: Optional[str],
    isolated: bool,
    force_exclude: Optional[bool],
    quiet: bool,
    add_noqa: bool,
    baseline_path: Optional[str],
    write_baseline_path: Optional[str],
    jobs: Optional[int],
    no_cache: bool,
    cache_dir: Optional[str],
) -> None:
    """Lint PATHS (default: the current directory); `-` reads stdin."""
    from ckptlint.api import FixMode, lint_paths
    from ckptlint.config.errors import ConfigError
    from ckptlint.config.hierarchy import Configurations
    from ckptlint.config.loader import CliOptions, load_settings

    options = CliOptions(
        select=_split(select) if select else None,
        extend_select=_split(extend_select),
        ignore=_split(ignore),
        force_exclude=force_exclude,
    )
    try:
        settings = load_settings(os.getcwd(), config_path=config_path, isolated=isolated, cli=options)
        # Each file uses the nearest configuration above it, unless one is imposed.
        configurations = Configurations(settings, options, hierarchical=not (config_path or isolated))
        if stdin_filename and (paths == ("-",) or not paths):
            settings = configurations.for_path(stdin_filename)
    except ConfigError as exc:
        echo_error(f"ckptlint: error: {exc}")
        sys.exit(EXIT_ERROR)

    mode = FixMode.DIFF if show_diff else FixMode.FIX if fix else FixMode.CHECK
    output_format = output_format or default_format(sys.stdout)
    targets = _parse_output_files(output_files)
    if paths == ("-",) or (not paths and stdin_filename):
        sys.exit(_check_stdin(settings, mode, unsafe_fixes, stdin_filename, output_format, exit_zero, quiet, targets))

    if add_noqa:
        sys.exit(_add_noqa(list(paths) or ["."], settings, quiet, configurations))
    baseline = _load_baseline(baseline_path) if baseline_path and not write_baseline_path else None
    from ckptlint.engine.cache import CACHE_DIR_NAME

    cache = None if no_cache else (cache_dir or os.path.join(settings.root, CACHE_DIR_NAME))
    from ckptlint.cli.progress import ProgressBar, wants_progress

    bar = ProgressBar(sys.stderr) if wants_progress(sys.stderr, output_format, quiet) else None
    try:
        report = lint_paths(
            list(paths) or ["."],
            settings,
            mode,
            unsafe_fixes,
            jobs=jobs or os.cpu_count() or 1,
            cache_dir=cache,
            progress=bar,
            configurations=configurations,
        )
    except ConfigError as exc:  # another project's configuration, read when its files came up
        echo_error(f"ckptlint: error: {exc}")
        sys.exit(EXIT_ERROR)
    if bar is not None:
        bar.close()
    if write_baseline_path or baseline is not None:
        _baseline(report, settings, baseline, write_baseline_path, quiet)
    _write_output_files(report, targets)
    if mode is FixMode.DIFF:
        for error in report.errors:
            echo_error(error.render())
        for file in report.files:
            if file.changed:
                sys.stdout.write(_diff(file.path, file.original or "", file.text or ""))
        if not quiet and report.fixed:
            echo_error(f"Would fix {report.fixed} finding{'s' if report.fixed != 1 else ''}.")
        sys.exit(_exit_code(report, exit_zero, exit_non_zero_on_fix=True, diff=True))
    _print_report(report, output_format, use_color(sys.stdout), quiet, statistics, mode is FixMode.FIX, show_fixes)
    sys.exit(_exit_code(report, exit_zero, exit_non_zero_on_fix))


def _load_baseline(path: str):
    from ckptlint.engine.baseline import BaselineError, load_baseline

    try:
        return load_baseline(path)
    except BaselineError as exc:
        echo_error(f"ckptlint: error: {exc}")
        sys.exit(EXIT_ERROR)


def _baseline(report, settings, baseline, write_path: Optional[str], quiet: bool) -> None:
    from ckptlint.engine.baseline import apply_baseline, write_baseline

    if write_path:
        count = write_baseline(report, settings.root, write_path)
        if not quiet:
            echo_error(f"Recorded {count} finding{'' if count == 1 else 's'} in {write_path}.")
        sys.exit(EXIT_ERROR if any(e.internal for e in report.errors) else EXIT_CLEAN)
    apply_baseline(report, baseline, settings.root)


def _add_noqa(paths: List[str], settings, quiet: bool, configurations=None) -> int:
    from ckptlint.api import add_noqa_paths
    from ckptlint.config.errors import ConfigError

    try:
        result = add_noqa_paths(paths, settings, configurations)
    except ConfigError as exc:
        echo_error(f"ckptlint: error: {exc}")
        return EXIT_ERROR
    for error in result.errors:
        echo_error(error.render())
    for skipped in result.skipped:
        echo_error(f"{skipped}; no noqa added")
    if not quiet:
        echo_error(f"Added {result.added} noqa directive{'' if result.added == 1 else 's'}.")
    if any(error.internal for error in result.errors):
        return EXIT_ERROR
    return EXIT_FINDINGS if result.skipped or result.errors else EXIT_CLEAN


def _parse_output_files(values: Sequence[str]) -> List[Tuple[str, str]]:
    """`FORMAT:PATH` pairs (split at the first `:`, so Windows paths keep theirs)."""
    from ckptlint.reporters import OUTPUT_FORMATS

    targets = []
    for value in values:
        name, sep, path = value.partition(":")
        if not sep or not path or name not in OUTPUT_FORMATS:
            raise click.BadParameter(
                f"expected FORMAT:PATH with FORMAT one of {', '.join(OUTPUT_FORMATS)}, got `{value}`",
                param_hint="--output-file",
            )
        targets.append((name, path))
    return targets


def _write_output_files(report, targets: Sequence[Tuple[str, str]]) -> None:
    from ckptlint.reporters import get_reporter

    for name, path in targets:
        try:
            with open(path, "w", encoding="utf-8", newline="\n") as handle:
                get_reporter(name)(report, handle, False)
        except OSError as exc:
            echo_error(f"ckptlint: error: cannot write {path}: {exc.strerror or exc}")
            sys.exit(EXIT_ERROR)


def _print_report(report, output_format: str, color: bool, quiet: bool, statistics: bool, fixing: bool, show_fixes: bool = False, out=None) -> None:
    """The findings (and files that could not be linted) in ``output_format``, then the summary."""
    from ckptlint.reporters import DOCUMENT_FORMATS, get_reporter

    out = out or sys.stdout
    if statistics and output_format not in DOCUMENT_FORMATS:
        write_statistics(report, out)
        for error in report.errors:
            out.write(error.render() + "\n")
    else:
        get_reporter(output_format)(report, out, color)
    if show_fixes and output_format not in DOCUMENT_FORMATS:
        write_fixes(report, out, fixing)
    if not quiet and output_format not in DOCUMENT_FORMATS:
        click.echo(summary(report, fixing), file=out, color=color)


def _exit_code(report, exit_zero: bool, exit_non_zero_on_fix: bool, diff: bool = False) -> int:
    if any(error.internal for error in report.errors):
        return EXIT_ERROR
    if diff:
        return EXIT_FINDINGS if any(f.changed for f in report.files) and not exit_zero else EXIT_CLEAN
    if exit_zero:
        return EXIT_CLEAN
    if report.diagnostics or report.errors:
        return EXIT_FINDINGS
    if exit_non_zero_on_fix and report.fixed:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _check_stdin(settings, mode, unsafe_fixes: bool, stdin_filename: Optional[str], output_format: str, exit_zero: bool, quiet: bool, targets: Sequence[Tuple[str, str]] = ()) -> int:
    """Lint stdin; with `--fix` the fixed source goes to stdout and the report to stderr."""
    from ckptlint.api import FileReport, FixMode, RunReport, process_document
    from ckptlint.diagnostics import FileError
    from ckptlint.engine.discovery import Discovery
    from ckptlint.engine.session.documents import decode_document
    from ckptlint.engine.source import SourceError

    path = stdin_filename or "-"
    data = sys.stdin.buffer.read()
    if stdin_filename and settings.force_exclude and Discovery(settings).is_excluded(stdin_filename):
        if mode is FixMode.FIX:
            sys.stdout.buffer.write(data)
        return EXIT_CLEAN
    try:
        document = decode_document(data, path)
    except SourceError as exc:  # reported like any file that cannot be linted
        document, file_report = None, FileReport(path, errors=[FileError(path, str(exc))])
    else:
        file_report = process_document(document, settings, mode, unsafe_fixes)
    report = RunReport([file_report], unsafe_fixes)
    _write_output_files(report, targets)
    if mode is FixMode.DIFF:
        for error in report.errors:
            echo_error(error.render())
        if file_report.changed:
            sys.stdout.write(_diff(path, file_report.original or "", file_report.text or ""))
        return _exit_code(report, exit_zero, True, diff=True)
    if mode is FixMode.FIX:
        sys.stdout.buffer.write(document.source.encode(file_report.text or "") if document is not None else data)
        sys.stdout.flush()
        _print_report(report, output_format, use_color(sys.stderr), quiet, False, True, out=sys.stderr)
    else:
        _print_report(report, output_format, use_color(sys.stdout), quiet, False, False)
    return _exit_code(report, exit_zero, False)
