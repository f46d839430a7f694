"""The fixer: fixpoint, overlap handling, revert on unparsable output, runtime downgrade."""

from __future__ import annotations

from typing import ClassVar, Tuple

import libcst as cst
from support import dedent, fix, lint, settings

from ckptlint.api import fix_source
from ckptlint.fixes import Applicability, Edit
from ckptlint.fixes.imports import runtime_reference
from ckptlint.rules.base import Context, FixAvailability, Rule
from ckptlint.rules.loading.ckpt201_load_without_map_location import LoadWithoutMapLocation
from ckptlint.rules.loading.ckpt202_load_without_weights_only import LoadWithoutWeightsOnly
from ckptlint.semantic.core.calls import CallSite


class BreaksTheFile(Rule):
    """A test rule whose fix deletes a closing parenthesis."""

    code = "CKPT999"
    name = "breaks-the-file"
    message = "test"
    fix_title = "break it"
    fix_availability = FixAvailability.ALWAYS
    calls: ClassVar[Tuple[str, ...]] = ("torch.load",)

    def check_call(self, call: CallSite, ctx: Context) -> None:
        span = ctx.model.span(call.node)
        ctx.report(call.node, fix=ctx.fix([Edit(span.end_offset - 1, span.end_offset, "")], Applicability.SAFE))


class UsesTheRuntime(Rule):
    """A test rule whose safe fix calls the runtime (adds its import)."""

    code = "CKPT998"
    name = "uses-the-runtime"
    message = "test"
    fix_title = "use the runtime"
    fix_availability = FixAvailability.ALWAYS
    calls: ClassVar[Tuple[str, ...]] = ("torch.save",)

    def check_call(self, call: CallSite, ctx: Context) -> None:
        reference, import_edit = runtime_reference(ctx.model, "atomic_save")
        func = ctx.model.span(call.node.func)
        if ctx.model.code(call.node.func) == reference:
            return
        edit = Edit(func.start_offset, func.end_offset, reference)
        ctx.report(call.node, fix=ctx.fix([edit, import_edit], Applicability.SAFE))


def test_unparsable_fix_leaves_the_file_untouched() -> None:
    code = "import torch\nx = torch.load('a')\n"
    outcome = fix(code, rules=[BreaksTheFile])
    assert outcome.text == dedent(code)
    assert outcome.applied == 0
    assert outcome.error is not None and "CKPT999" in outcome.error.message and outcome.error.internal


def test_two_fixes_on_one_call_reach_a_fixpoint_in_one_run() -> None:
    code = 'import torch\nx = torch.load("a")\n'
    outcome = fix(code, rules=[LoadWithoutMapLocation, LoadWithoutWeightsOnly], unsafe=True)
    assert outcome.text == 'import torch\nx = torch.load("a", map_location="cpu", weights_only=True)\n'
    assert outcome.applied == 2
    again = fix(outcome.text, rules=[LoadWithoutMapLocation, LoadWithoutWeightsOnly], unsafe=True)
    assert again.applied == 0 and again.text == outcome.text


def test_runtime_import_is_added_once_next_to_the_imports() -> None:
    code = '"""Doc."""\nimport os\nimport torch\n\nx = 1\ntorch.save(a, "a.pt")\ntorch.save(b, "b.pt")\n'
    outcome = fix(code, rules=[UsesTheRuntime], unsafe=True)
    assert outcome.text == (
        '"""Doc."""\nimport os\nimport torch\nimport ckptlint.runtime\n\nx = 1\n'
        'ckptlint.runtime.atomic_save(a, "a.pt")\nckptlint.runtime.atomic_save(b, "b.pt")\n'
    )
    cst.parse_module(outcome.text)


def test_first_runtime_import_makes_a_safe_fix_unsafe_unless_declared() -> None:
    code = "import torch\ntorch.save(a, 'a.pt')\n"
    [d] = lint(code, rules=[UsesTheRuntime])
    assert d.fix.applicability is Applicability.UNSAFE
    [d] = lint(code, rules=[UsesTheRuntime], table={"runtime": True})
    assert d.fix.applicability is Applicability.SAFE
    # a file that already imports the runtime adds no dependency
    [d] = lint("import torch\nimport ckptlint.runtime as rt\ntorch.save(a, 'a.pt')\n", rules=[UsesTheRuntime])
    assert d.fix.applicability is Applicability.SAFE
    assert fix("import torch\nimport ckptlint.runtime as rt\ntorch.save(a, 'a.pt')\n", rules=[UsesTheRuntime]).text.endswith(
        "rt.atomic_save(a, 'a.pt')\n"
    )


def test_runtime_declared_in_project_dependencies(tmp_path) -> None:
    from ckptlint.config.loader import load_settings

    (tmp_path / "pyproject.toml").write_text('[project]\nname="x"\ndependencies=["ckptlint[runtime]>=0.1"]\n')
    config = load_settings(str(tmp_path))
    assert config.project.runtime_available
    # a safe-only pass applies the fix: it is safe in this project
    outcome = fix_source("import torch\ntorch.save(a, 'a.pt')\n", "a.py", config, rules=[UsesTheRuntime])
    assert outcome.applied == 1


def test_a_rule_that_crashes_is_reported_and_others_still_run() -> None:
    class Crashes(Rule):
        code = "CKPT997"
        name = "crashes"
        message = "test"
        calls: ClassVar[Tuple[str, ...]] = ("torch.load",)

        def check_call(self, call: CallSite, ctx: Context) -> None:
            raise ValueError("boom")

    from ckptlint.api import lint_source

    outcome = lint_source("import torch\n\ntorch.load('a')\n", "x.py", settings(), rules=[Crashes, LoadWithoutMapLocation])
    assert [d.code for d in outcome.diagnostics] == ["CKPT201"]
    [error] = outcome.errors
    assert error.internal and error.line == 3 and "CKPT997" in error.message and "boom" in error.message
    assert error.render() == "x.py:3: internal-error: rule CKPT997 (crashes) failed: ValueError: boom"
