"""The linter never imports torch: a pre-commit user must not need it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from support import FIXTURES

SCRIPT = textwrap.dedent(
    """
    import sys
    sys.modules["torch"] = None  # any `import torch` now raises ImportError
    import ckptlint.cli
    from ckptlint.cli import main
    try:
        main([{fixtures!r}, "--select", "ALL", "--unsafe-fixes", "--diff"])
    except SystemExit as exit:
        code = exit.code
    heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "numpy", "pygls"))
    print("EXIT", code, "HEAVY", heavy)
    """
)


def test_cli_import_and_full_run_never_import_torch() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(fixtures=FIXTURES)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in result.stderr, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last == "EXIT 1 HEAVY ['torch']", last  # only the blocked placeholder itself


def test_version_imports_nothing_heavy() -> None:
    code = (
        "import sys\nfrom ckptlint.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('libcst', 'torch', 'pathspec')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip().splitlines()[-1] == "[]"
