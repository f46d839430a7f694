"""CKPT104 missing-rng-state."""

from __future__ import annotations

from support import codes, fix, lint

from ckptlint.fixes.model import Applicability
from ckptlint.rules.saving.ckpt104_missing_rng_state import MissingRngState

RULES = [MissingRngState]

CODE = """
    import torch
    import torch.nn as nn
    {extra}
    model = nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    if args.resume:
        ckpt = torch.load("a.pt")
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
    torch.save({{"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 1}}, "a.pt")
    """


def test_fires_and_fix_is_safe_only_when_the_runtime_is_declared() -> None:
    code = CODE.format(extra="")
    [plain] = lint(code, rules=RULES)
    assert plain.fix is not None and plain.fix.applicability is Applicability.UNSAFE
    [declared] = lint(code, rules=RULES, table={"runtime": True})
    assert declared.fix is not None and declared.fix.applicability is Applicability.SAFE


def test_fix_reuses_an_existing_runtime_import() -> None:
    outcome = fix(CODE.format(extra="from ckptlint.runtime import capture_rng_state, restore_rng_state"), rules=RULES)
    assert '"rng": capture_rng_state()}' in outcome.text
    assert '    if "rng" in ckpt:\n        restore_rng_state(ckpt["rng"])\n' in outcome.text
    assert outcome.text.count("import") == 3


def test_the_restore_imports_what_the_capture_did_not_need() -> None:
    outcome = fix(CODE.format(extra="from ckptlint.runtime import capture_rng_state"), rules=RULES, unsafe=True)
    assert '"rng": capture_rng_state()}' in outcome.text
    assert "import ckptlint.runtime\n" in outcome.text and "ckptlint.runtime.restore_rng_state(ckpt[\"rng\"])" in outcome.text


def test_no_fix_when_no_resume_load_restores_it() -> None:
    [found] = lint(
        """
        import torch
        import torch.nn as nn
        model = nn.Linear(2, 2)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, "a.pt")
        """,
        rules=RULES,
        table={"runtime": True},
    )
    assert found.fix is None
    assert "restore it where the job resumes: `ckptlint.runtime.restore_rng_state(ckpt[\"rng\"])`" in found.message


def test_any_rng_getter_counts() -> None:
    for getter in ("torch.get_rng_state()", "torch.cuda.get_rng_state_all()", "np.random.get_state()", "random.getstate()"):
        assert codes(
            f"""
            import random
            import numpy as np
            import torch
            import torch.nn as nn
            model = nn.Linear(2, 2)
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            state = {getter}
            torch.save({{"model": model.state_dict(), "optimizer": opt.state_dict(), "r": state}}, "a.pt")
            """,
            rules=RULES,
        ) == [], getter


def test_no_fix_in_a_distributed_script() -> None:
    found = lint(
        CODE.format(extra="import os; local_rank = int(os.environ['LOCAL_RANK'])"),
        rules=RULES,
        table={"runtime": True},
    )
    assert [d.code for d in found] == ["CKPT104"]
    assert found[0].fix is None
    assert "save_checkpoint" in found[0].message


def test_silent_without_optimizer_state_or_with_unknown_spread() -> None:
    assert codes(
        """
        import torch
        import torch.nn as nn
        model = nn.Linear(2, 2)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        torch.save({"model": model.state_dict()}, "best.pt")
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), **rest}, "last.pt")
        """,
        rules=RULES,
    ) == []


def test_no_fix_for_a_save_on_the_main_process_only() -> None:
    # Accelerate runs one process per device; rank 0's RNG restored everywhere correlates the ranks.
    [found] = lint(
        """
        import torch
        from accelerate import Accelerator

        class Trainer:
            def __init__(self, model):
                self.accelerator = Accelerator()
                self.model = model
                self.opt = torch.optim.AdamW(model.parameters())

            def save(self, path):
                if not self.accelerator.is_local_main_process:
                    return
                torch.save({"model": self.model.state_dict(), "opt": self.opt.state_dict()}, path)

            def load(self, path):
                data = torch.load(path, map_location="cpu")
                self.opt.load_state_dict(data["opt"])
        """,
        rules=RULES,
        table={"runtime": True},
    )
    assert found.fix is None and "main process only" in found.message
