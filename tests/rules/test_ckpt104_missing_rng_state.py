"""CKPT104 missing-rng-state."""

from __future__ import annotations

from typing import List, Tuple

import pytest

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


SAVED_TWICE = """
    import os
    import torch
    import torch.nn as nn
    model = nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    ckpt = {{"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 1}}
    torch.save(ckpt, "epoch_1.pt")
    {between}
    torch.save(ckpt, "tmp.pt")
    os.replace("tmp.pt", "latest.pt")
    """


def test_an_earlier_save_of_the_same_dict_adds_no_key() -> None:
    # A save only reads what it writes: the second save of `ckpt` writes the same dict.
    found = lint(SAVED_TWICE.format(between="pass"), rules=RULES)
    assert [(d.code, d.span.line) for d in found] == [("CKPT104", 7), ("CKPT104", 9)]


def test_a_call_that_may_add_keys_in_between_is_unknown() -> None:
    found = lint(SAVED_TWICE.format(between="add_rng_state(ckpt)"), rules=RULES)
    assert [(d.code, d.span.line) for d in found] == [("CKPT104", 7)]


def test_an_optimizer_known_by_its_use_in_scaler_step() -> None:
    # The base trainer never builds its optimizer (subclasses do); `scaler.step(self.optimizer)`
    # says what it is, so the checkpoint holds optimizer state next to the network's.
    code = """
        import torch
        from torch.cuda.amp import GradScaler

        class NetworkTrainer:
            def __init__(self):
                self.network = None
                self.optimizer = None
                self.scaler = GradScaler()

            def step(self, loss):
                self.scaler.scale(loss).backward()
                self.scaler.step(self.optimizer)

            def save_checkpoint(self, fname):
                torch.save({"state_dict": self.network.state_dict(), "optimizer": self.optimizer.state_dict(), "epoch": 1}, fname)
        """
    assert [(d.code, d.span.line) for d in lint(code, rules=RULES)] == [("CKPT104", 15)]
    assert codes(code.replace("GradScaler()", "make_scaler()"), rules=RULES) == []  # `step` of an unknown object


STATE_FLOWS_INTO_FIT = """
    import torch
    import torch.nn as nn

    def save_checkpoint(state, path):
        model = state["model"]  # looks an item up: still saves `state` as it was given
        {helper_extra}
        torch.save(state, path)

    def fit(state, loader, out):
        model, optimizer = state["model"], state["optimizer"]
        for x in loader:
            optimizer.step()
            state["step"] += 1
            {fit_extra}
        save_checkpoint(state, out + "/last.pt")

    def main(loader, out):
        model = nn.Linear(2, 2)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        state = {{"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": 0}}
        fit(state, loader, out)
        {main_extra}
        save_checkpoint(state, out + "/final.pt")
    """


def _found(helper_extra: str = "pass", fit_extra: str = "pass", main_extra: str = "pass") -> List[Tuple[str, int]]:
    code = STATE_FLOWS_INTO_FIT.format(helper_extra=helper_extra, fit_extra=fit_extra, main_extra=main_extra)
    return [(d.code, d.span.line) for d in lint(code, rules=RULES)]


def test_a_dict_followed_through_parameters_and_a_helper_that_reads_its_items() -> None:
    # The helper's calls are the saves: in main (the dict built there; `fit` only reads and updates
    # its items) and in fit (the dict its one caller passes).
    assert _found() == [("CKPT104", 15), ("CKPT104", 23)]


def test_what_may_add_keys_on_the_way_makes_the_dict_unknown() -> None:
    # the helper stores an item: it saves no longer what it was given, so its own save is the save
    assert _found(helper_extra='state["rng"] = torch.get_rng_state()') == []
    # fit hands the dict to a call that may add keys, before its own save and before main's
    assert _found(fit_extra="add_rng(state)") == []
    # a second call of fit: which dict its parameter holds is not one dict
    assert _found(main_extra="fit({}, loader, out)") == [("CKPT104", 23)]


RUNNER_BASE = """
    import torch

    class RunnerBase:
        def __init__(self, model):
            self._model = model
            self._optimizer = None
            self._scaler = None

        @property
        def optimizer(self):
            if self._optimizer is None:
                self._optimizer = torch.optim.AdamW(self._model.parameters(), lr=1e-4)
            return self._optimizer

        @property
        def scaler(self):
            if self._scaler is None:
                self._scaler = torch.cuda.amp.GradScaler()
            return self._scaler
    """
SAVES_THROUGH_PROPERTIES = """
        def _save_checkpoint(self, epoch):
            state = {
                "model": self._model.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "scaler": self.scaler.state_dict() if self.scaler else None,
                "epoch": epoch,
            }
            torch.save(state, "checkpoint_%d.pth" % epoch)
"""


def test_an_attribute_read_through_a_property_has_the_kind_it_returns() -> None:
    # `self.optimizer` runs the property, which returns the AdamW in `self._optimizer`: the dict holds
    # optimizer state (104), and it holds `self._optimizer`'s and `self._scaler`'s (no 102, no 105).
    from ckptlint.rules.saving.ckpt102_missing_optimizer_state import MissingOptimizerState
    from ckptlint.rules.saving.ckpt105_missing_scaler_state import MissingScalerState

    code = RUNNER_BASE + SAVES_THROUGH_PROPERTIES
    found = lint(code, rules=[*RULES, MissingOptimizerState, MissingScalerState])
    assert [(d.code, d.span.line) for d in found] == [("CKPT104", 28)]
    assert codes(code.replace("@property", ""), rules=RULES) == []  # a method read, not called: unknown


@pytest.mark.parametrize("base_module", ["runner_base", "vendor.runners"])
def test_a_property_of_a_base_class_in_another_module(base_module: str) -> None:
    code = f"""
    import torch
    from {base_module} import RunnerBase

    class RunnerIter(RunnerBase):
    """ + SAVES_THROUGH_PROPERTIES
    found = lint(code, rules=RULES, modules={"runner_base.py": RUNNER_BASE}, path="runner_iter.py")
    # the base class's summary gives `optimizer` its kind; a base outside the project is unknown
    assert [(d.code, d.span.line) for d in found] == ([("CKPT104", 13)] if base_module == "runner_base" else [])
