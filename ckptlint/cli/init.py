"""`ckptlint init`: a `[tool.ckptlint]` table and a pre-commit hook for this project.

Nothing that exists is ever overwritten: an existing `[tool.ckptlint]`
table or ckptlint hook is left as it is, and both files are only appended
to (or created).
"""

from __future__ import annotations

import os
import re
from typing import List, Tuple

import click

TOOL_TABLE = """\
[tool.ckptlint]
# Every rule: `ckptlint rule --all`; documents: {docs}
# extend-select = ["CKPT109"]       # opt-in rules, e.g. atomic saves
# ignore = []
# per-file-ignores = {{ "tests/**" = ["CKPT201"] }}
# runtime = true                    # fixes may use ckptlint.runtime (a dependency of your job)
"""


def _hook_item(indent: str, rev: str, url: str) -> List[str]:
    return [
        f"{indent}- repo: {url}",
        f"{indent}  rev: {rev}",
        f"{indent}  hooks:",
        f"{indent}    - id: ckptlint",
    ]


def init_pyproject(directory: str) -> Tuple[str, str]:
    """(what happened, path) for `pyproject.toml`."""
    from ckptlint.links import DOCUMENTATION_BASE

    path = os.path.join(directory, "pyproject.toml")
    table = TOOL_TABLE.format(docs=DOCUMENTATION_BASE)
    if not os.path.exists(path):
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(table)
        return "created", path
    with open(path, encoding="utf-8", newline="") as handle:
        text = handle.read()
    import tomllib

    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise click.ClickException(f"{path} is not valid TOML ({exc}); left unchanged") from None
    if "ckptlint" in document.get("tool", {}):
        return "kept", path
    newline = "\r\n" if "\r\n" in text else "\n"
    if not text.strip():
        separator = ""
    elif text.endswith(("\n\n", "\r\n\r\n")):
        separator = ""
    elif text.endswith(("\n", "\r")):
        separator = "\n"
    else:
        separator = "\n\n"
    with open(path, "a", encoding="utf-8", newline="") as handle:
        handle.write((separator + table).replace("\n", newline))
    return "appended", path


def init_precommit(directory: str) -> Tuple[str, str]:
    """(what happened, path) for `.pre-commit-config.yaml`."""
    from ckptlint import __version__
    from ckptlint.links import PROJECT_URL

    path = os.path.join(directory, ".pre-commit-config.yaml")
    rev = f"v{__version__}"
    if not os.path.exists(path):
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write("repos:\n" + "\n".join(_hook_item("  ", rev, PROJECT_URL)) + "\n")
        return "created", path
    with open(path, encoding="utf-8", newline="") as handle:
        text = handle.read()
    if re.search(r"^\s*-?\s*id:\s*['\"]?ckptlint(-fix)?['\"]?\s*$", text, re.M) or PROJECT_URL in text:
        return "kept", path
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if re.match(r"repos\s*:\s*(#.*)?$", line)), None)
    if start is None:
        if re.search(r"^repos\s*:", text, re.M):  # `repos: []` or another flow form
            raise click.ClickException(f"{path}: cannot add to this `repos:` form; add the hook by hand")
        lines += ["repos:", *_hook_item("  ", rev, PROJECT_URL)]
    else:
        end = next((i for i in range(start + 1, len(lines)) if re.match(r"[^\s#-]", lines[i])), len(lines))
        while end > start + 1 and not lines[end - 1].strip():
            end -= 1
        items = [re.match(r"(\s*)-", line) for line in lines[start + 1 : end]]
        indent = next((m.group(1) for m in items if m), "  ")
        lines[end:end] = _hook_item(indent, rev, PROJECT_URL)
    newline = "\r\n" if "\r\n" in text else "\n"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(newline.join(lines) + newline)
    return "appended", path


@click.command()
def init() -> None:
    """Add a `[tool.ckptlint]` table and a pre-commit hook to the current project."""
    directory = os.getcwd()
    for step in (init_pyproject, init_precommit):
        action, path = step(directory)
        name = os.path.relpath(path, directory)
        message = {
            "created": f"Created {name}.",
            "appended": f"Added ckptlint to {name}.",
            "kept": f"{name} already configures ckptlint; left unchanged.",
        }[action]
        click.echo(message)
