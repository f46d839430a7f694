"""One regression test per bug the robustness work found (named for the bug)."""

from __future__ import annotations

import os

import pytest

from ckptlint.api import lint_source
from ckptlint.engine.preflight import MAX_EXPRESSION_DEPTH, nesting_problem
from ckptlint.engine.source import read_source, write_source
from invariants import REPO, all_rules, check_bytes

HEADER = "import torch\ntorch.load('a.pt')\n"

# libcst's native parser overflowed the C stack (SIGSEGV, the whole process
# died) or ran for minutes on these, 10,000 deep; the bracket guard let them through.
DEEP = {
    "not": lambda n: "x = " + "not " * n + "a\n",
    "minus": lambda n: "x = " + "- " * n + "a\n",
    "tilde": lambda n: "x = " + "~" * n + "a\n",
    "lambda": lambda n: "f = " + "lambda: " * n + "0\n",
    "subscript": lambda n: "x = a" + "[0]" * n + "\n",
    "attribute": lambda n: "x = a" + ".b" * n + "\n",
    "call": lambda n: "x = a" + "()" * n + "\n",
    "if-else": lambda n: "x = " + "a if b else " * n + "c\n",
    "binop": lambda n: "x = " + "a + " * n + "a\n",
    "power": lambda n: "x = " + "a ** " * n + "a\n",
    "and": lambda n: "x = " + "a and " * n + "a\n",
    "elif": lambda n: "if a: pass\n" + "elif a: pass\n" * n,
    "continued-lines": lambda n: "x = " + "not \\\n" * n + "a\n",
    "unary-in-brackets-over-lines": lambda n: "x = (" + "not\n" * n + "a)\n",
}


@pytest.mark.parametrize("kind", sorted(DEEP))
@pytest.mark.parametrize("depth", [1_000, 10_000, 100_000])
def test_deep_non_bracket_nesting_is_refused_before_libcst(kind, depth) -> None:
    text = HEADER + DEEP[kind](depth)
    problem = nesting_problem(text)
    assert problem is not None and "\n" not in problem
    outcome = lint_source(text, "deep.py", all_rules())
    assert not outcome.parsed and len(outcome.errors) == 1 and not outcome.errors[0].internal


@pytest.mark.parametrize("kind", sorted(DEEP))
def test_moderate_nesting_is_still_linted(kind) -> None:
    text = HEADER + DEEP[kind](MAX_EXPRESSION_DEPTH // 3)
    assert nesting_problem(text) is None
    outcome = lint_source(text, "ok.py", all_rules())
    assert outcome.parsed, outcome.errors


def test_long_strings_comments_and_flat_literals_are_not_refused() -> None:
    text = (
        HEADER
        + "doc = '''" + "not " * 2000 + "\n" + "- " * 2000 + "'''\n"
        + "# " + "not " * 2000 + "\n"
        + "table = [" + ", ".join(str(i) for i in range(3000)) + "]\n"
        + "".join(f"if x == {i}: pass\nelif y: pass\n" for i in range(300))
    )
    assert nesting_problem(text) is None
    assert lint_source(text, "flat.py", all_rules()).parsed


def test_deep_nesting_split_by_a_string_is_still_refused() -> None:
    # A newline inside a string must not end the statement for the guard.
    text = HEADER + "x = " + "- " * 400 + '"""\n"""' + ".b" * 400 + "\n"
    assert nesting_problem(text) is not None


def test_fix_write_refuses_a_file_deleted_while_linted(tmp_path) -> None:
    path = tmp_path / "gone.py"
    path.write_text("x = 1\n")
    source = read_source(str(path), 10**6)
    os.unlink(path)
    with pytest.raises(OSError, match="deleted while it was linted"):
        write_source(source, "x = 2\n")
    assert not path.exists() and not os.listdir(tmp_path)


def test_fix_write_refuses_a_file_edited_while_linted(tmp_path) -> None:
    path = tmp_path / "edited.py"
    path.write_text("x = 1\n")
    source = read_source(str(path), 10**6)
    path.write_text("x = 1\ny = 3\n")
    with pytest.raises(OSError, match="changed while it was linted"):
        write_source(source, "x = 2\n")
    assert path.read_text() == "x = 1\ny = 3\n" and os.listdir(tmp_path) == ["edited.py"]


# -- the fixer's re-parse check ------------------------------------------------------

from typing import ClassVar, Tuple  # noqa: E402

from support import fix as run_fix  # noqa: E402

from ckptlint.fixes import Applicability, Edit  # noqa: E402
from ckptlint.rules.base import Context, FixAvailability, Rule  # noqa: E402


class EatsTheImportAndAParen(Rule):
    """Test rule: its fix deletes `import torch` and a `)`, so the broken result no
    longer mentions torch and the pre-filter would skip the re-lint's parse."""

    code = "CKPT997"
    name = "eats-the-import"
    message = "test"
    fix_title = "eat it"
    fix_availability = FixAvailability.ALWAYS
    calls: ClassVar[Tuple[str, ...]] = ()

    def check_module(self, ctx: Context) -> None:
        text = ctx.model.text if hasattr(ctx.model, "text") else ""
        start = text.find("import torch\n")
        paren = text.rfind(")")
        if start < 0 or paren < 0:
            return
        edits = [Edit(start, start + len("import torch\n"), ""), Edit(paren, paren + 1, "")]
        ctx.report(ctx.model.module, fix=ctx.fix(edits, Applicability.SAFE))


class MakesPythonReject(Rule):
    """Test rule: its fix produces `return` at module level (libcst parses it, Python refuses)."""

    code = "CKPT996"
    name = "makes-python-reject"
    message = "test"
    fix_title = "reject it"
    fix_availability = FixAvailability.ALWAYS
    calls: ClassVar[Tuple[str, ...]] = ("torch.load",)

    def check_call(self, call, ctx: Context) -> None:
        span = ctx.model.span(call.node)
        if ctx.model.text[span.start_offset - 7 : span.start_offset] == "return ":
            return
        ctx.report(call.node, fix=ctx.fix([Edit(span.start_offset, span.start_offset, "return ")], Applicability.SAFE))


def test_fix_output_is_parsed_even_when_the_prefilter_would_skip_it() -> None:
    code = "import torch\nx = print(1)\n"
    outcome = run_fix(code, rules=[EatsTheImportAndAParen])
    assert outcome.text == code and outcome.applied == 0
    assert outcome.error is not None and "CKPT997" in outcome.error.message


def test_fix_output_that_python_rejects_leaves_the_file_untouched() -> None:
    code = "import torch\nx = 1\ntorch.load('a')\n"
    outcome = run_fix(code, rules=[MakesPythonReject])
    assert outcome.text == code and outcome.applied == 0
    assert outcome.error is not None and "Python rejects" in outcome.error.message


@pytest.mark.parametrize(
    "body",
    [
        'sd = torch.load(p)\n    sd = sd["model"]\n    model.load_state_dict(sd)\n',  # accelerate fsdp_utils.py
        "x = torch.load(p)\n    y = x\n    x = y\n    model.load_state_dict(x)\n",
    ],
    ids=["reassigned-from-its-own-key", "names-holding-each-other"],
)
def test_a_value_that_flows_back_into_its_own_name_is_no_internal_error(body) -> None:
    # RecursionError in CKPT201/202 (found by benchmarks/robustness_corpus.py on accelerate 1.6.0)
    text = "import torch\n\ndef f(model, p):\n    " + body
    outcome = lint_source(text, "train.py", all_rules())
    assert outcome.errors == [] and {d.code for d in outcome.diagnostics} >= {"CKPT201"}


@pytest.mark.parametrize(
    "fixture, line_start",
    [
        ("fsdp_train.py", "from torch.utils.data import"),  # then CKPT303's set_epoch went in one space short
        ("trainer_amp_cosine.py", "        self.head = nn.Linear("),
        ("torchrun_ddp_resume.py", "import torch.distributed as dist"),
    ],
)
def test_a_form_feed_before_a_line_shifts_no_finding_and_no_fix(fixture, line_start) -> None:
    # benchmarks/fuzz_campaign.py (mutated): libcst renders a form feed at a line's start as
    # nothing, and every position after it was a rendered offset read against the text's lines,
    # so fixes landed a character off ("fixes ... would produce code that does not parse")
    path = os.path.join(REPO, "fixtures", "bad", fixture)
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    assert "\n" + line_start in text
    fed = text.replace("\n" + line_start, "\n\f" + line_start, 1)
    check_bytes(fed.encode("utf-8"))  # no internal error; the fixed file parses, a second pass changes nothing
    plain, shifted = lint_source(text, fixture, all_rules()), lint_source(fed, fixture, all_rules())
    moved = [(d.code, d.span.line, d.span.column) for d in shifted.diagnostics]
    assert moved == [(d.code, d.span.line, d.span.column + (d.span.line == _line_of(text, line_start))) for d in plain.diagnostics]


def _line_of(text: str, line_start: str) -> int:
    return text[: text.index("\n" + line_start) + 1].count("\n") + 1
