"""The `ckptlint` command line (click).

`ckptlint [PATHS]` is the main form and means `ckptlint check [PATHS]`.
A first argument that names a subcommand (`check`, `rule`, `init`,
`server`, `inspect`) is that subcommand; anything else (`./rule`, `src/`, `--fix`) is the check's.
Heavy modules (libcst, the rules) are imported inside the commands, so
`ckptlint --version` starts fast.
"""

from __future__ import annotations

import gc
import sys
from typing import List, Optional, Sequence

import click

from ckptlint import __version__

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class DefaultToCheck(click.Group):
    """A group whose first argument, when not a subcommand, starts `check`."""

    def parse_args(self, ctx: click.Context, args: List[str]) -> List[str]:
        passthrough = {"-h", "--help", "--version"}
        if not args or (args[0] not in self.commands and args[0] not in passthrough):
            args = ["check", *args]
        return super().parse_args(ctx, args)


@click.group(cls=DefaultToCheck, context_settings=CONTEXT)
@click.version_option(__version__, "--version", prog_name="ckptlint", message="%(prog)s %(version)s")
def cli() -> None:
    """Find and fix PyTorch checkpointing pitfalls.

    Run `ckptlint [PATHS]` (the same as `ckptlint check [PATHS]`) to lint.
    """


def _register() -> None:
    from ckptlint.cli.check import check
    from ckptlint.cli.init import init
    from ckptlint.cli.inspect import inspect
    from ckptlint.cli.migrate import migrate
    from ckptlint.cli.rule import rule
    from ckptlint.cli.server import server

    cli.add_command(check)
    cli.add_command(init)
    cli.add_command(inspect)
    cli.add_command(migrate)
    cli.add_command(rule)
    cli.add_command(server)


_register()


def run() -> None:
    """The `ckptlint` program (its console script, and `python -m ckptlint`): `main`, then an exit
    that leaves the run's objects to the operating system.

    At exit Python runs its cycle collector over every object still alive, more than once. After
    four training scripts some 280,000 objects are (the modules' own, and the outlines and
    summaries a run keeps), and those collections took ~0.45 s of a 2.4 s run, to free nothing.
    `gc.freeze` takes what is alive out of every later collection. The output, the exit status
    and the exit handlers are a normal exit's; only the program does this, never a caller of
    `main` in its own process."""
    try:
        main()
    finally:
        gc.freeze()


def main(argv: Optional[Sequence[str]] = None) -> None:
    """The command line in this process; exit codes: 0 clean, 1 findings, 2 errors."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="ckptlint")
    except SystemExit:
        raise
    except ModuleNotFoundError as exc:  # an incomplete installation, not a bug
        click.echo(
            f"ckptlint: error: a dependency is missing ({exc}); reinstall with `pip install --force-reinstall ckptlint`",
            err=True,
        )
        sys.exit(2)
    except Exception as exc:  # the last resort: a bug must still exit 2 with one line
        click.echo(f"ckptlint: internal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(2)
