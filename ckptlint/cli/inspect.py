"""`ckptlint inspect PATH...`: what checkpoint files hold, without running code from them."""

from __future__ import annotations

import importlib
import sys
from typing import Tuple

import click

INSTALL_HINT = "pip install 'ckptlint[runtime]'"


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="How the reports are printed.")
@click.option("--allow-weights-only", is_flag=True,
              help="A file holding model weights only (for inference) is not a problem.")
def inspect(paths: Tuple[str, ...], output_format: str, allow_weights_only: bool) -> None:
    """Inspect checkpoint files (torch.save files or torch.distributed.checkpoint folders).

    Reports the weights, optimizer, scheduler, scaler, RNG state and progress
    counters a checkpoint holds, and names what is missing or wrong. Nothing in
    a file is executed: only torch.load(weights_only=True) is used, after the
    file's globals were checked. A folder that is not a DCP save stands for the
    checkpoints directly inside it.

    Exit status: 0 every checkpoint is complete and resumable, 1 problems were
    found, 2 a path could not be read (missing, empty, truncated, not a
    checkpoint).
    """
    try:
        importlib.import_module("torch")  # the runtime extra: imported here, never by `ckptlint` itself
    except ImportError:
        click.echo(f"ckptlint: error: `ckptlint inspect` needs PyTorch; install it with: {INSTALL_HINT}",
                   err=True)
        sys.exit(2)
    from ckptlint.inspection import inspect_paths
    from ckptlint.inspection.render_json import render_json
    from ckptlint.inspection.render_text import render_text

    reports = inspect_paths(paths, allow_weights_only=allow_weights_only)
    render = render_json if output_format == "json" else render_text
    click.echo(render(reports), nl=False)
    sys.exit(max(report.exit_code for report in reports))
