"""`ckptlint init`: a `[tool.ckptlint]` table and a pre-commit hook for this project.

Nothing that exists is ever overwritten: an existing `[tool.ckptlint]`
table or ckptlint hook is left as it is, and both files are only appended
to (or created).

The hook's `rev` must name a tag or commit that exists (no release is
tagged yet): it is the commit of the ckptlint that runs `init`, when that can
be told (installed from `git+https://...`, or from a git checkout), else the
`main` branch with a note to pin it with `pre-commit autoupdate --freeze`.
"""

from __future__ import annotations

import os
import re
from typing import List, Optional, Tuple

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
    pinned = rev if rev != BRANCH else f"{rev}  # {PIN_HINT}"
    return [
        f"{indent}- repo: {url}",
        f"{indent}  rev: {pinned}",
        f"{indent}  hooks:",
        f"{indent}    - id: ckptlint",
    ]


BRANCH = "main"
PIN_HINT = "pin it: pre-commit autoupdate --freeze"


def installed_commit() -> Optional[str]:
    """The git commit this ckptlint was installed from, if it can be told."""
    import importlib.metadata
    import json

    try:
        direct_url = json.loads(importlib.metadata.distribution("ckptlint").read_text("direct_url.json") or "{}")
    except (importlib.metadata.PackageNotFoundError, ValueError):
        direct_url = {}
    url = direct_url.get("url", "")
    return (
        direct_url.get("vcs_info", {}).get("commit_id")  # pip install git+https://...@commit
        or _checkout_commit(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # running from a checkout
        or (_checkout_commit(url[len("file://"):]) if url.startswith("file://") else None)  # pip install ./clone
    )


def _checkout_commit(directory: str) -> Optional[str]:
    """HEAD of the ckptlint checkout holding ``directory`` (one with our hook manifest)."""
    import subprocess

    try:
        top = subprocess.run(["git", "-C", directory, "rev-parse", "--show-toplevel", "HEAD"],
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    lines = top.stdout.split()
    if top.returncode != 0 or len(lines) != 2 or not os.path.isfile(os.path.join(lines[0], ".pre-commit-hooks.yaml")):
        return None
    return lines[1]


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
    from ckptlint.links import PROJECT_URL

    path = os.path.join(directory, ".pre-commit-config.yaml")
    rev = installed_commit() or BRANCH
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
