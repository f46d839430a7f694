"""`ckptlint rule CODE-or-name`: print a rule's document; `--all` lists them."""

from __future__ import annotations

from typing import Optional

import click


@click.command()
@click.argument("code", required=False)
@click.option("--all", "show_all", is_flag=True, help="List every rule with its default and fix class.")
def rule(code: Optional[str], show_all: bool) -> None:
    """Explain a rule (by code such as CKPT201, or name such as load-without-map-location)."""
    from ckptlint.docs import render
    from ckptlint.rules.registry import RULES, lookup

    if show_all:
        for entry in RULES:
            default = "opt-in" if entry.opt_in else "on"
            click.echo(f"{entry.code}  {entry.name:<34} {default:<7} fix: {entry.fix_class}")
        return
    if code is None:
        raise click.UsageError("give a rule code or name, or --all")
    found = lookup(code)
    if found is None:
        raise click.BadParameter(f"no rule named `{code}`", param_hint="CODE")
    click.echo(render(found), nl=False)
