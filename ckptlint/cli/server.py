"""`ckptlint server`: the language server over stdio (the `lsp` extra)."""

from __future__ import annotations

import sys

import click


@click.command()
def server() -> None:
    """Run the language server (LSP over stdio) for editors."""
    try:
        import lsprotocol  # noqa: F401
        import pygls  # noqa: F401
    except ImportError:
        click.echo("ckptlint: the language server needs the `lsp` extra: pip install 'ckptlint[lsp]'", err=True)
        sys.exit(2)
    from ckptlint.lsp.server import serve

    serve()
