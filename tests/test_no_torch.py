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


def test_inspection_and_migration_import_without_torch() -> None:
    """`ckptlint inspect` / `migrate` import torch inside the command only."""
    code = (
        "import sys\nsys.modules['torch'] = None\n"
        "import ckptlint.cli.inspect, ckptlint.cli.migrate, ckptlint.inspection, ckptlint.migration\n"
        "import ckptlint.runtime.format\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'numpy') and sys.modules[m]))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_version_imports_nothing_heavy() -> None:
    code = (
        "import sys\nfrom ckptlint.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('libcst', 'torch', 'pathspec')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip().splitlines()[-1] == "[]"


LIGHT_RUN = textwrap.dedent(
    """
    import sys
    from ckptlint.cli import main
    try:
        main({args!r})
    except SystemExit:
        pass
    print("HEAVY", sorted(m for m in sys.modules if m.split(".")[0] in ("libcst", "torch")))
    """
)


def _light(args, cwd) -> str:
    result = subprocess.run(
        [sys.executable, "-c", LIGHT_RUN.format(args=args)], cwd=cwd, capture_output=True, text=True, timeout=60
    )
    return result.stdout.strip().splitlines()[-1]


def test_files_that_cannot_matter_never_import_libcst(tmp_path) -> None:
    (tmp_path / "plain.py").write_text("import os\nprint(os.getcwd())\n")
    assert _light(["plain.py", "--no-cache"], tmp_path) == "HEAVY []"


def test_a_cache_hit_never_imports_libcst(tmp_path) -> None:
    bad = os.path.join(FIXTURES, "bad", "resume_from_checkpoint.py")
    (tmp_path / "train.py").write_text(open(bad, encoding="utf-8").read())
    subprocess.run([sys.executable, "-m", "ckptlint", "train.py", "-q"], cwd=tmp_path, capture_output=True, timeout=120)
    assert _light(["train.py"], tmp_path) == "HEAVY []"  # second run: served from the cache
