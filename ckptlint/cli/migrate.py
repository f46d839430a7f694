"""`ckptlint migrate SRC... [--out DIR | --in-place]`: rewrite old checkpoints safely."""

from __future__ import annotations

import importlib
import sys
from typing import Tuple

import click

INSTALL_HINT = "pip install 'ckptlint[runtime]'"


def _rename(ctx: click.Context, param: click.Parameter, values: Tuple[str, ...]) -> Tuple[Tuple[str, str], ...]:
    pairs = []
    for value in values:
        old, sep, new = value.partition("=")
        if not sep or not old:
            raise click.BadParameter(f"{value!r} is not OLD=NEW (a key prefix and its new name)")
        pairs.append((old, new))
    return tuple(pairs)


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Write the migrated checkpoints into this folder (the sources are untouched).")
@click.option("--in-place", is_flag=True,
              help="Replace each source atomically, keeping the original as <name>.bak.")
@click.option("--no-backup", is_flag=True, help="With --in-place: keep no .bak copy.")
@click.option("--dry-run", is_flag=True, help="Print what would change; write nothing.")
@click.option("--trust", is_flag=True,
              help="Allow loading files that need code from them (a whole pickled model) with "
                   "weights_only=False. Only for files from a source you trust.")
@click.option("--import", "imports", multiple=True, metavar="MODULE",
              help="With --trust: import MODULE first (the classes a pickled model needs; classes "
                   "pickled from a script as __main__.X are looked up there too). Repeatable.")
@click.option("--rename", "renames", multiple=True, metavar="OLD=NEW", callback=_rename,
              help="Rename model keys starting with OLD to start with NEW (a renamed submodule). "
                   "Repeatable.")
@click.option("--allow-weights-only", is_flag=True,
              help="A result holding model weights only (for inference) is not a problem.")
def migrate(paths: Tuple[str, ...], out_dir: str, in_place: bool, no_backup: bool, dry_run: bool,
            trust: bool, imports: Tuple[str, ...], renames: Tuple[Tuple[str, str], ...],
            allow_weights_only: bool) -> None:
    """Rewrite checkpoints so that torch.load(weights_only=True) reads them.

    Removes the `module.`/`_orig_mod.` prefixes of model state dicts, turns
    argparse/SimpleNamespace values into dicts and numpy values into Python
    numbers and tensors, records the format and torch version, and keeps
    every other key. A ckptlint checkpoint of an older format is upgraded to
    the current one. torch.distributed.checkpoint folders are rewritten as
    new folders (in one process: it needs the memory of the whole state).
    Files that need code from them (a whole pickled model) are migrated only
    with --trust, which says so. Each result is checked as `ckptlint inspect`
    checks files, and what it still reports is listed.

    Exit status (as inspect's): 0 every result is clean, 1 problems remain (or
    a file needs --trust or holds a value that cannot be repaired), 2 a path
    could not be read.
    """
    if out_dir and in_place:
        raise click.UsageError("choose one of --out DIR and --in-place")
    if not (out_dir or in_place or dry_run):
        raise click.UsageError("say where the results go: --out DIR or --in-place (or --dry-run)")
    if no_backup and not in_place:
        raise click.UsageError("--no-backup goes with --in-place")
    try:
        importlib.import_module("torch")  # the runtime extra: imported here, never by `ckptlint` itself
    except ImportError:
        click.echo(f"ckptlint: error: `ckptlint migrate` needs PyTorch; install it with: {INSTALL_HINT}",
                   err=True)
        sys.exit(2)
    from ckptlint.migration import Options, migrate_paths
    from ckptlint.migration.render_text import render_text

    options = Options(out_dir=out_dir, in_place=in_place, trust=trust, dry_run=dry_run,
                      backup=not no_backup, allow_weights_only=allow_weights_only, imports=imports,
                      renames=renames)
    reports = migrate_paths(paths, options)
    click.echo(render_text(reports), nl=False)
    sys.exit(max(report.exit_code for report in reports))
