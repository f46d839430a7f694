"""CKPT001 unused-suppression and CKPT002 unknown-rule-in-suppression (engine diagnostics)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from support import codes, dedent, fix, lint

from ckptlint.cli import cli

CLEAN_LOAD = 'state = torch.load("a.pt", map_location="cpu", weights_only=True)'


def test_unused_noqa_is_reported_on_the_comment() -> None:
    found = lint(f"import torch\n{CLEAN_LOAD}  # noqa: CKPT201\n")
    assert [(d.code, d.message, d.line, d.column) for d in found] == [
        ("CKPT001", "Unused suppression (`CKPT201`)", 2, len(CLEAN_LOAD) + 3)
    ]


def test_unused_noqa_is_fixed_and_the_fix_is_safe() -> None:
    outcome = fix(f"import torch\n{CLEAN_LOAD}  # noqa: CKPT201\n")
    assert outcome.text == f"import torch\n{CLEAN_LOAD}\n"
    assert outcome.outcome.diagnostics == []


@pytest.mark.parametrize(
    "comment, after",
    [
        ("# noqa: CKPT201, CKPT202", ""),
        ("# noqa: E501, CKPT201", "  # noqa: E501"),
        ("# noqa: CKPT201,E501", "  # noqa: E501"),
        ("# why: vendored  # noqa: CKPT201", "  # why: vendored"),
        ("# ckptlint: disable=load-without-map-location", ""),
    ],
)
def test_fix_removes_only_what_is_unused(comment: str, after: str) -> None:
    outcome = fix(f"import torch\n{CLEAN_LOAD}  {comment}\n")
    assert outcome.text == f"import torch\n{CLEAN_LOAD}{after}\n"


def test_own_line_directives_are_removed_with_their_line() -> None:
    code = f"import torch\n# ckptlint: disable-next=CKPT201\n{CLEAN_LOAD}\n"
    assert codes(code) == ["CKPT001"]
    assert fix(code).text == f"import torch\n{CLEAN_LOAD}\n"


def test_used_suppressions_are_silent() -> None:
    assert lint(
        """
        import torch
        a = torch.load("a.pt")  # noqa: CKPT201, CKPT202
        # ckptlint: disable=CKPT201
        b = torch.load("b.pt", weights_only=True)
        # ckptlint: enable=CKPT201
        # ckptlint: disable-next=load-without-weights-only
        c = torch.load("c.pt", map_location="cpu")
        """
    ) == []


def test_block_disable_that_covers_nothing_is_unused() -> None:
    code = """
        import torch
        def f():
            # ckptlint: disable=CKPT201
            return 1
        a = torch.load("a.pt", weights_only=True)
        """
    found = lint(code, table={"ignore": ["CKPT201"]})
    assert found == []  # CKPT201 did not run: its suppressions are not judged
    assert [(d.code, d.line) for d in lint(code)] == [("CKPT001", 3), ("CKPT201", 5)]


def test_bare_noqa_other_tools_and_rules_not_enabled_are_never_reported() -> None:
    assert lint(
        f"""
        import torch
        {CLEAN_LOAD}  # noqa
        x = 1  # noqa: E501, F401
        torch.save(x, "/ckpt/a.pt")  # noqa: CKPT109 (absolute: CKPT501 would flag a relative path)
        """,
        table={"select": ["CKPT0", "CKPT2"]},
    ) == []  # CKPT109 is not enabled here: maybe CI enables it


def test_ckpt001_in_a_comment_keeps_its_other_codes() -> None:
    assert lint(f"import torch\n{CLEAN_LOAD}  # noqa: CKPT201, CKPT001\n") == []
    # ... but a CKPT001 that keeps nothing is unused itself
    assert codes(f"import torch\n{CLEAN_LOAD}  # noqa: CKPT001\n") == ["CKPT001"]


def test_file_level_noqa_silences_everything() -> None:
    assert lint(f"# ckptlint: noqa\nimport torch\n{CLEAN_LOAD}  # noqa: CKPT201\n") == []


def test_unknown_codes_and_names() -> None:
    found = lint(
        """
        import torch
        a = torch.load("a.pt", map_location="cpu")  # noqa: CKPT202, CKPT999
        # ckptlint: disable-next=load-without-map-locaton
        b = torch.load("b.pt", weights_only=True)  # noqa: CKPT201
        """
    )
    assert [(d.code, d.line, d.message) for d in found] == [
        ("CKPT002", 2, "Unknown rule `CKPT999` in suppression"),
        ("CKPT002", 3, "Unknown rule `load-without-map-locaton` in suppression"),
    ]


def test_meta_rules_follow_selection() -> None:
    code = f"import torch\n{CLEAN_LOAD}  # noqa: CKPT201, CKPT999\n"
    assert codes(code, table={"select": ["CKPT2"]}) == []
    assert codes(code, table={"ignore": ["unused-suppression"]}) == ["CKPT002"]
    assert codes(code, table={"ignore": ["CKPT0"]}) == []


def test_cli_reports_and_fixes_an_unused_noqa(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CKPTLINT_OUTPUT_FORMAT", raising=False)
    (tmp_path / "pyproject.toml").write_text("[tool.ckptlint]\n")
    (tmp_path / "a.py").write_text(f"import torch\n{CLEAN_LOAD}  # noqa: CKPT201\n")
    result = CliRunner().invoke(cli, ["check", "a.py"])
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == f"a.py:2:{len(CLEAN_LOAD) + 3}: CKPT001 [*] Unused suppression (`CKPT201`)"
    fixed = CliRunner().invoke(cli, ["check", "a.py", "--fix"])
    assert fixed.exit_code == 0, fixed.output
    assert (tmp_path / "a.py").read_text() == f"import torch\n{CLEAN_LOAD}\n"


def test_add_noqa_then_fix_keeps_needed_noqa(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.ckptlint]\n")
    (tmp_path / "a.py").write_text('import torch\nsd = torch.load("a.pt")\n')
    CliRunner().invoke(cli, ["check", "a.py", "--add-noqa"])
    assert CliRunner().invoke(cli, ["check", "a.py", "--fix"]).exit_code == 0
    assert "# noqa: CKPT201, CKPT202" in (tmp_path / "a.py").read_text()


def test_files_with_only_other_tools_noqa_are_not_parsed_for_suppressions(monkeypatch) -> None:
    from ckptlint.engine import runner

    parsed = []
    monkeypatch.setattr(runner, "parse", lambda text, path: parsed.append(path) or runner.FileError(path, "x"))
    lint_text = runner.lint_text
    from support import settings
    from ckptlint.engine.selection import rules_for

    rules = rules_for("a.py", settings())
    lint_text("import os  # noqa: F401\n", "a.py", rules, settings().project)
    assert parsed == []
    lint_text("import os  # noqa: CKPT201\n", "b.py", rules, settings().project)
    assert parsed == ["b.py"]
