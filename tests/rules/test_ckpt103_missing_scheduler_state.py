"""CKPT103 missing-scheduler-state."""

from __future__ import annotations

from support import codes, fix

from ckptlint.rules.saving.ckpt103_missing_scheduler_state import MissingSchedulerState

RULES = [MissingSchedulerState]


def test_fires_for_torch_and_hf_style_schedules() -> None:
    assert codes(
        """
        import torch
        import torch.nn as nn
        from torch.optim import lr_scheduler as ls
        from transformers import get_cosine_schedule_with_warmup as cosine
        def a():
            model = nn.Linear(2, 2)
            opt = torch.optim.AdamW(model.parameters())
            sched = ls.OneCycleLR(opt, max_lr=1.0, total_steps=10)
            torch.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, "a.pt")
        def b():
            model = nn.Linear(2, 2)
            opt = torch.optim.AdamW(model.parameters())
            sched = cosine(opt, 10, 100)
            torch.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, "b.pt")
        """,
        rules=RULES,
    ) == ["CKPT103", "CKPT103"]


def test_file_own_get_schedule_factory_counts() -> None:
    assert codes(
        """
        import math
        import torch
        import torch.nn as nn
        from torch.optim.lr_scheduler import LambdaLR
        def get_cosine_schedule(optimizer, warmup, total):
            return LambdaLR(optimizer, lambda s: min(1.0, s / warmup))
        model = nn.Linear(2, 2)
        opt = torch.optim.AdamW(model.parameters())
        schedule = get_cosine_schedule(opt, 10, 100)
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, "a.pt")
        """,
        rules=RULES,
    ) == ["CKPT103"]


def test_scheduler_saved_under_any_key_is_silent() -> None:
    assert codes(
        """
        import torch
        import torch.nn as nn
        model = nn.Linear(2, 2)
        opt = torch.optim.AdamW(model.parameters())
        sched = torch.optim.lr_scheduler.StepLR(opt, 10)
        ckpt = {"model": model.state_dict()}
        ckpt["whatever_you_call_it"] = sched.state_dict()
        torch.save(ckpt, "a.pt")
        """,
        rules=RULES,
    ) == []


def test_fix_goes_next_to_the_last_subscript_assignment() -> None:
    outcome = fix(
        """
        import torch
        import torch.nn as nn
        class Trainer:
            def __init__(self):
                self.model = nn.Linear(2, 2)
                self.opt = torch.optim.AdamW(self.model.parameters())
                self.sched = torch.optim.lr_scheduler.StepLR(self.opt, 10)
            def save(self, path, epoch):
                ckpt = {}
                ckpt["model"] = self.model.state_dict()
                if epoch > 3:
                    ckpt["late"] = True
                ckpt["optimizer"] = self.opt.state_dict()
                ckpt["epoch"] = epoch
                torch.save(ckpt, path)
            def resume(self, path):
                ckpt = torch.load(path, map_location="cpu")
                self.model.load_state_dict(ckpt["model"])
                self.opt.load_state_dict(ckpt["optimizer"])
                return ckpt["epoch"] + 1
        """,
        rules=RULES,
    )
    assert (
        '        ckpt["epoch"] = epoch\n'
        '        ckpt["scheduler"] = self.sched.state_dict()\n'
        "        torch.save(ckpt, path)\n"
    ) in outcome.text
    assert (
        '        self.opt.load_state_dict(ckpt["optimizer"])\n'
        '        if "scheduler" in ckpt:\n'
        '            self.sched.load_state_dict(ckpt["scheduler"])\n'
        '        return ckpt["epoch"] + 1\n'
    ) in outcome.text


def test_a_scheduler_every_branch_builds_is_in_scope() -> None:
    """Both branches build a scheduler: the name holds one whichever runs (catalog "Names": every
    branch gives the same kind), so its state is missing either way."""
    assert codes(
        """
        import torch
        import torch.nn as nn
        def main(args):
            model = nn.Linear(2, 2)
            opt = torch.optim.AdamW(model.parameters())
            if args.cosine:
                sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, 10)
            else:
                sched = torch.optim.lr_scheduler.StepLR(opt, 10)
            torch.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, "a.pt")
        """,
        rules=RULES,
    ) == ["CKPT103"]


def test_a_scheduler_some_path_does_not_build_is_not_in_scope() -> None:
    """`sched` may be unassigned at the save (no scheduler requested): not in scope."""
    assert codes(
        """
        import torch
        import torch.nn as nn
        def main(args):
            model = nn.Linear(2, 2)
            opt = torch.optim.AdamW(model.parameters())
            if args.cosine:
                sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, 10)
            torch.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, "a.pt")
        """,
        rules=RULES,
    ) == []
