"""`--output-format full`: source lines, carets, why it matters, the fix as a diff.

The golden file is the screenshot-free proof of the format; regenerate it
with `CKPTLINT_UPDATE_SNAPSHOTS=1` and review the diff.
"""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner
from support import REPO

from ckptlint.cli import cli
from ckptlint.reporters.full import format_full
from ckptlint.docs import why
from ckptlint.rules.registry import BY_CODE

GOLDEN = os.path.join(REPO, "tests", "snapshots", "full_output.txt")
FIXTURE = "fixtures/bad/evaluate_pretrained.py"  # a multi-line `th.load(` call at line 13


def _full_output(monkeypatch, *extra: str) -> str:
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("CKPTLINT_OUTPUT_FORMAT", raising=False)
    result = CliRunner().invoke(
        cli, ["check", FIXTURE, "--isolated", "--select", "CKPT201,CKPT202", *extra], catch_exceptions=False
    )
    assert result.exit_code == 1
    return result.output


def test_full_output_golden(monkeypatch) -> None:
    output = _full_output(monkeypatch, "--output-format", "full")
    if os.environ.get("CKPTLINT_UPDATE_SNAPSHOTS") == "1":
        with open(GOLDEN, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(output)
    with open(GOLDEN, encoding="utf-8", newline="") as handle:
        assert output == handle.read()


def test_golden_shows_the_multiline_finding_and_its_fix() -> None:
    with open(GOLDEN, encoding="utf-8") as handle:
        golden = handle.read()
    assert "13 |         th.load(\n   |         ^^^^^^^^\n" in golden
    assert "15 |         )\n   |         ^\n" in golden
    assert '= fix (safe): Pass `map_location="cpu"`' in golden
    assert '       15 | +             map_location="cpu",' in golden
    assert "= fix (unsafe, with `--unsafe-fixes`): Pass `weights_only=True`" in golden


def test_concise_is_the_default_when_not_a_terminal(monkeypatch) -> None:
    output = _full_output(monkeypatch)
    assert output.splitlines()[0] == f"{FIXTURE}:13:9: CKPT201 [*] `torch.load` without `map_location`"
    assert " |" not in output


def test_environment_variable_still_wins(monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("CKPTLINT_OUTPUT_FORMAT", "full")
    result = CliRunner().invoke(cli, ["check", FIXTURE, "--isolated", "--select", "CKPT201"])
    assert "   = why: " in result.output


def test_no_ansi_codes_without_colour(monkeypatch) -> None:
    assert "\x1b[" not in _full_output(monkeypatch, "--output-format", "full")
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in _full_output(monkeypatch, "--output-format", "full")


def test_colour_when_asked() -> None:
    from ckptlint.api import lint_source
    from support import settings

    text = "import torch\nsd = torch.load('a.pt')\n"
    diagnostic = lint_source(text, "a.py", settings())
    coloured = format_full(diagnostic.diagnostics[0], text, color=True)
    assert "\x1b[" in coloured
    plain = format_full(diagnostic.diagnostics[0], text, color=False)
    assert "\x1b[" not in plain and "2 | sd = torch.load('a.pt')" in plain


@pytest.mark.parametrize("code", sorted(BY_CODE))
def test_every_rule_has_a_reason(code: str) -> None:
    reason = why(BY_CODE[code])
    assert reason and "\n" not in reason and reason[-1] in ".!?"


def test_long_findings_are_elided() -> None:
    from ckptlint.api import lint_source
    from support import settings

    parts = "".join(f"        'p{i}',\n" for i in range(20))
    text = f"import torch\nsd = torch.load(\n    '/'.join([\n{parts}    ])\n)\n"
    diagnostic = lint_source(text, "a.py", settings()).diagnostics[0]
    out = format_full(diagnostic, text, color=False)
    assert "  :\n" in out and out.count("^") < 200


def test_an_import_far_from_the_edit_is_its_own_small_hunk(tmp_path, monkeypatch) -> None:
    """#20 item 4: the diff used to run from the inserted import to the edit
    (877 lines for 3 findings in one real file, mostly its docstring)."""
    story = "".join(f"    Line {i} of the story.\n" for i in range(300))
    code = (
        "import torch\nimport torch.nn as nn\n\n\ndef train():\n"
        + f'    """Train.\n\n{story}    """\n'
        + "    model = nn.Linear(4, 2)\n"
        + "    opt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        + "    if args.resume:\n"
        + '        ckpt = torch.load("/ckpt/last.pt")\n'
        + '        opt.load_state_dict(ckpt["optimizer"])\n'
        + '    torch.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, "/ckpt/last.pt")\n'
    )
    (tmp_path / "pyproject.toml").write_text("[tool.ckptlint]\nruntime = true\n")
    (tmp_path / "train.py").write_text(code)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["check", "train.py", "--no-cache", "--select", "CKPT104", "--output-format", "full"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "+ import ckptlint.runtime" in result.output and '"rng": ckptlint.runtime.capture_rng_state()' in result.output
    assert not any("Line 150 of the story" in line for line in lines)
    assert len(lines) <= 35, result.output  # finding, source, notes, two hunks of a few lines, summary
