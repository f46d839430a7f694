"""Fix edits land where libcst's tokens are, whatever a form feed, a continuation or a
`\\r` does to character offsets; overlapping edits never reach the user as an
internal error (#22 item 3). Each test failed before the change it covers, except
the one marked as a guard."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import ClassVar, Tuple

import libcst as cst
from support import REPO, fix

from ckptlint.fixes import Applicability, Edit
from ckptlint.rules.base import Context, FixAvailability, Rule
from ckptlint.rules.registry import lookup
from ckptlint.semantic.core.calls import CallSite


def _rules(*codes: str):  # type: ignore[no-untyped-def]
    found = [lookup(code) for code in codes]
    assert all(found)
    return found


def test_form_feed_at_the_start_of_a_save_line_and_the_502_fix() -> None:
    source = 'import torch\n\n\ndef f(model):\n    x = 1\n\x0c    torch.save(model.state_dict(), "out/a.pt")\n'
    outcome = fix(source, rules=_rules("CKPT502"))
    assert outcome.error is None and outcome.applied == 1
    assert outcome.text == (
        'import torch\nimport os\n\n\ndef f(model):\n    x = 1\n'
        '    os.makedirs(os.path.dirname("out/a.pt"), exist_ok=True)\n'
        '\x0c    torch.save(model.state_dict(), "out/a.pt")\n'
    )
    compile(outcome.text, "fixed.py", "exec")


def test_form_feed_before_the_last_import_and_the_301_fix() -> None:
    source = (
        'import os\nimport torch\n\x0cimport torch.distributed as dist\n\n'
        'dist.init_process_group("gloo")\nm = torch.nn.Linear(2, 2)\n\ntorch.save(m.state_dict(), "/tmp/a.pt")\n'
    )
    outcome = fix(source, rules=_rules("CKPT301"), unsafe=True, table={"runtime": True})
    assert outcome.error is None and outcome.applied == 1
    assert outcome.text == (
        'import os\nimport torch\n\x0cimport torch.distributed as dist\nimport ckptlint.runtime\n\n'
        'dist.init_process_group("gloo")\nm = torch.nn.Linear(2, 2)\n\n'
        'if ckptlint.runtime.is_main_process():\n    torch.save(m.state_dict(), "/tmp/a.pt")\n'
    )


def test_a_safe_fix_keeps_a_form_feed_in_an_indentation() -> None:
    source = "import torch\n\n\ndef f(model):\n    x = 1\n\x0c    model.load_state_dict(torch.load('a.pt'))\n"
    outcome = fix(source, rules=_rules("CKPT201"))
    assert outcome.applied == 1
    assert outcome.text == source.replace("load('a.pt')", "load('a.pt', map_location='cpu')")


def test_a_cr_only_file_keeps_its_last_newline() -> None:
    source = (
        'import torch\rimport torch.distributed as dist\r\rdist.init_process_group("gloo")\r'
        'm = torch.nn.Linear(2, 2)\r# save\rtorch.save(m.state_dict(), "/tmp/a.pt")\r'
    )
    outcome = fix(source, rules=_rules("CKPT301"), unsafe=True, table={"runtime": True})
    assert outcome.applied == 1
    assert outcome.text.endswith('# save\rif ckptlint.runtime.is_main_process():\r    torch.save(m.state_dict(), "/tmp/a.pt")\r')


class _Replaces(Rule):
    """Test rules whose fixes replace the arguments of every `torch.load` call."""

    name = "replaces"
    message = "test"
    fix_title = "replace"
    fix_availability = FixAvailability.ALWAYS
    calls: ClassVar[Tuple[str, ...]] = ("torch.load",)
    replacement = ""

    def check_call(self, call: CallSite, ctx: Context) -> None:
        span = ctx.model.span(call.node)
        start = span.start_offset + len("torch.load(")
        ctx.report(call.node, fix=ctx.fix([Edit(start, span.end_offset - 1, self.replacement)], Applicability.SAFE))


class ReplacesWithA(_Replaces):
    code = "CKPT996"
    replacement = "'a.pt'"


class ReplacesWithB(_Replaces):
    code = "CKPT995"
    replacement = "'b.pt'"


class OverlapsItself(Rule):
    """A test rule whose one fix holds two overlapping edits (a builder's bug)."""

    code = "CKPT994"
    name = "overlaps-itself"
    message = "test"
    fix_title = "overlap"
    fix_availability = FixAvailability.ALWAYS
    calls: ClassVar[Tuple[str, ...]] = ("torch.load",)

    def check_call(self, call: CallSite, ctx: Context) -> None:
        span = ctx.model.span(call.node)
        edits = [Edit(span.start_offset, span.end_offset, "x"), Edit(span.start_offset + 1, span.end_offset, "y")]
        ctx.report(call.node, fix=ctx.fix(edits, Applicability.SAFE))


def test_overlapping_fixes_of_two_rules_apply_one_then_relint() -> None:
    # A guard (this held before): fixes of two rules that overlap wait a round.
    outcome = fix("import torch\ntorch.load('c.pt')\n", rules=[ReplacesWithA, ReplacesWithB])
    assert outcome.error is None
    # One applies, the re-lint rebuilds the other on the new text, and so on to a fixed point.
    assert outcome.text in ("import torch\ntorch.load('a.pt')\n", "import torch\ntorch.load('b.pt')\n")
    cst.parse_module(outcome.text)


def test_a_fix_whose_own_edits_overlap_is_not_applied_and_nothing_crashes() -> None:
    source = "import torch\ntorch.load('c.pt')\n"
    outcome = fix(source, rules=[OverlapsItself, ReplacesWithA])
    assert outcome.error is None
    assert outcome.text == "import torch\ntorch.load('a.pt')\n"  # the other rule's fix still applies


def test_an_import_and_the_line_using_it_at_one_point_apply_import_first() -> None:
    # The 502 fix inserts `import os` and the makedirs line at the same offset; their
    # order used to follow the hash of the edits, which changes with PYTHONHASHSEED.
    program = (
        "from support import fix\n"
        "from ckptlint.rules.registry import lookup\n"
        "print(fix('import torch\\ntorch.save(x, \"out/a.pt\")\\n', rules=[lookup('CKPT502')]).text, end='')\n"
    )
    tests = os.path.join(REPO, "tests")
    for seed in range(6):
        env = dict(os.environ, PYTHONHASHSEED=str(seed), PYTHONPATH=os.pathsep.join([REPO, tests]))
        out = subprocess.run([sys.executable, "-c", program], env=env, cwd=tests, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert out.stdout == (
            'import torch\nimport os\nos.makedirs(os.path.dirname("out/a.pt"), exist_ok=True)\ntorch.save(x, "out/a.pt")\n'
        ), f"PYTHONHASHSEED={seed}"
