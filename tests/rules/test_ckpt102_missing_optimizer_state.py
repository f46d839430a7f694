"""CKPT102 missing-optimizer-state, with the silences of the issue, each its own test."""

from __future__ import annotations

from support import codes, fix, lint

from ckptlint.rules.saving.ckpt102_missing_optimizer_state import MissingOptimizerState

RULES = [MissingOptimizerState]


def test_fires_in_a_trainer_method_with_self_optimizer() -> None:
    assert codes(
        """
        import torch
        import torch.nn as nn
        class Trainer:
            def __init__(self):
                self.model = nn.Linear(2, 2)
                self.optimizer = torch.optim.AdamW(self.model.parameters())
            def save(self, path):
                torch.save({"model": self.model.state_dict()}, path)
        """,
        rules=RULES,
    ) == ["CKPT102"]


def test_aliased_imports_and_optimizer_class_names() -> None:
    assert codes(
        """
        import torch as th
        from torch import save
        from torch.optim import SGD as Sgd
        from mylib import LambOptimizer
        import torch.nn as nn
        model = nn.Linear(2, 2)
        a = Sgd(model.parameters(), lr=0.1)
        save({"model": model.state_dict(), "optimizer": a.state_dict()}, "a.pt")
        def other():
            b = LambOptimizer(model.parameters())
            th.save({"model": model.state_dict(), "optimizer": a.state_dict()}, "b.pt")
        """,
        rules=RULES,
    ) == ["CKPT102"]


def test_optimizer_classes_setting() -> None:
    code = """
        import torch
        import torch.nn as nn
        from mylib import Shampoo
        model = nn.Linear(2, 2)
        opt = Shampoo(model.parameters())
        torch.save({"model": model.state_dict()}, "a.pt")
        """
    assert codes(code, rules=RULES) == []
    assert codes(code, rules=RULES, table={"optimizer-classes": ["mylib.Shampoo"]}) == ["CKPT102"]


def test_helper_save_checkpoint_state_path() -> None:
    outcome = fix(
        """
        import os
        import torch
        import torch.nn as nn
        def save_checkpoint(state, path):
            torch.save(state, path)
        def main():
            model = nn.Linear(2, 2)
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
            if os.path.exists("last.pt"):
                ckpt = torch.load("last.pt")
                model.load_state_dict(ckpt["model"])
            save_checkpoint({"model": model.state_dict(), "epoch": 1}, "last.pt")
        """,
        rules=RULES,
    )
    assert '{"model": model.state_dict(), "epoch": 1, "optimizer": optimizer.state_dict()}' in outcome.text
    assert '        model.load_state_dict(ckpt["model"])\n        if "optimizer" in ckpt:\n            optimizer.load_state_dict(ckpt["optimizer"])\n' in outcome.text


def test_silent_in_export_function_with_no_optimizer_in_scope() -> None:
    assert codes(
        """
        import torch
        import torch.nn as nn
        def export(path):
            model = nn.Linear(2, 2).eval()
            torch.save({"model": model.state_dict()}, path)
        def main():
            model = nn.Linear(2, 2)
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            torch.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, "last.pt")
        """,
        rules=RULES,
    ) == []


def test_silent_when_the_optimizer_is_an_unannotated_parameter() -> None:
    code = """
        import torch
        import torch.nn as nn
        def save(model: nn.Module, optimizer{annotation}, path):
            torch.save({{"model": model.state_dict()}}, path)
        """
    assert codes(code.format(annotation=""), rules=RULES) == []
    assert codes(code.format(annotation=": torch.optim.Optimizer"), rules=RULES) == ["CKPT102"]


def test_silent_for_weights_only_best_next_to_full_resume_checkpoint() -> None:
    assert codes(
        """
        import torch
        import torch.nn as nn
        class Trainer:
            def __init__(self):
                self.model = nn.Linear(2, 2)
                self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.1)
            def save_last(self, epoch):
                torch.save({"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(), "epoch": epoch}, "last.pt")
            def save_best(self, epoch):
                torch.save({"model": self.model.state_dict(), "epoch": epoch}, "best.pt")
        """,
        rules=RULES,
    ) == []


def test_gan_with_both_optimizers_saved_is_silent() -> None:
    assert codes(
        """
        import torch
        import torch.nn as nn
        netG, netD = nn.Linear(2, 2), nn.Linear(2, 2)
        G = nn.Linear(2, 2)
        D = nn.Linear(2, 2)
        opt_g = torch.optim.Adam(G.parameters())
        opt_d = torch.optim.Adam(D.parameters())
        torch.save({"G": G.state_dict(), "D": D.state_dict(), "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict()}, "gan.pt")
        """,
        rules=RULES,
    ) == []


def test_gan_with_one_optimizer_missing_adds_it_under_its_own_name() -> None:
    outcome = fix(
        """
        import torch
        import torch.nn as nn
        G = nn.Linear(2, 2)
        D = nn.Linear(2, 2)
        opt_g = torch.optim.Adam(G.parameters())
        opt_d = torch.optim.Adam(D.parameters())
        if args.resume:
            ckpt = torch.load(args.resume)
            G.load_state_dict(ckpt["G"])
            D.load_state_dict(ckpt["D"])
            opt_g.load_state_dict(ckpt["optimizer"])
        torch.save({"G": G.state_dict(), "D": D.state_dict(), "optimizer": opt_g.state_dict()}, "gan.pt")
        """,
        rules=RULES,
    )
    assert '"optimizer": opt_g.state_dict(), "opt_d": opt_d.state_dict()}' in outcome.text
    assert 'if "opt_d" in ckpt:\n        opt_d.load_state_dict(ckpt["opt_d"])' in outcome.text
    assert outcome.outcome.diagnostics == []


def test_never_adds_a_key_already_there_under_another_name() -> None:
    code = """
        import torch
        import torch.nn as nn
        model = nn.Linear(2, 2)
        {name} = torch.optim.Adam(model.parameters())
        if args.resume:
            ckpt = torch.load("a.pt")
            model.load_state_dict(ckpt["model"])
        torch.save({{"model": model.state_dict(), "optimizer": "adam"}}, "a.pt")
        """
    # "optimizer" holds something else: the entry goes under the object's own name.
    outcome = fix(code.format(name="opt"), rules=RULES)
    assert '"optimizer": "adam", "opt": opt.state_dict()}' in outcome.text
    # Both the usual key and the object's name are taken: reported, no fix.
    found = lint(code.format(name="optimizer"), rules=RULES)
    assert [d.code for d in found] == ["CKPT102"] and found[0].fix is None


def test_no_fix_when_nothing_restores_the_entry() -> None:
    # Catalog revision 2: the fix adds no entry that nothing restores; the message says what to do.
    found = lint(
        """
        import torch
        import torch.nn as nn
        model = nn.Linear(2, 2)
        optimizer = torch.optim.Adam(model.parameters())
        torch.save({"model": model.state_dict(), "epoch": 1}, "a.pt")
        """,
        rules=RULES,
    )
    assert [d.code for d in found] == ["CKPT102"] and found[0].fix is None
    assert "no fix: no load in this file resumes from it" in found[0].message
    assert 'restore it where the job resumes: `optimizer.load_state_dict(ckpt["optimizer"])`' in found[0].message


def test_no_fix_when_the_optimizer_does_not_exist_at_the_resume_load() -> None:
    found = lint(
        """
        import torch
        import torch.nn as nn
        model = nn.Linear(2, 2)
        if args.resume:
            ckpt = torch.load(args.resume)
            model.load_state_dict(ckpt["model"])
        optimizer = torch.optim.Adam(model.parameters())  # built after the resume
        torch.save({"model": model.state_dict(), "epoch": 1}, "a.pt")
        """,
        rules=RULES,
    )
    assert [d.code for d in found] == ["CKPT102"] and found[0].fix is None
    assert "nothing to restore it into exists at the resume load at the module's top level" in found[0].message


def test_the_restore_goes_where_the_resume_uses_another_name() -> None:
    # Saved in `train` (a parameter), restored in the resume branch of the module, where
    # the one optimizer there is the one every call passes.
    outcome = fix(
        """
        import torch
        import torch.nn as nn
        def train(net, opt, epoch):
            torch.save({"model": net.state_dict(), "epoch": epoch}, "last.pt")
        model = nn.Linear(2, 2)
        optimizer = torch.optim.Adam(model.parameters())
        start = 0
        if args.resume:
            ckpt = torch.load("last.pt")
            model.load_state_dict(ckpt["model"])
            start = ckpt["epoch"] + 1
        for epoch in range(start, 3):
            train(model, optimizer, epoch)
        """,
        rules=RULES,
    )
    assert '    start = ckpt["epoch"] + 1\n    if "optimizer" in ckpt:\n        optimizer.load_state_dict(ckpt["optimizer"])\nfor' in outcome.text


def test_silent_with_unknown_spread_and_optimizer_passed_to_a_call() -> None:
    assert codes(
        """
        import torch
        import torch.nn as nn
        from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
        model = nn.Linear(2, 2)
        opt = torch.optim.Adam(model.parameters())
        torch.save({"model": model.state_dict(), **extra}, "a.pt")
        torch.save({"model": model.state_dict(), "optim": FSDP.optim_state_dict(model, opt)}, "b.pt")
        """,
        rules=RULES,
    ) == []


def test_silent_for_lightning_accelerate_and_deepspeed() -> None:
    """No saving rule fires on code that never calls `torch.save` itself."""
    from ckptlint.rules.registry import RULES as ALL

    assert codes(
        """
        import torch
        import lightning as L
        from accelerate import Accelerator
        import deepspeed
        model = torch.nn.Linear(2, 2)
        optimizer = torch.optim.AdamW(model.parameters())
        trainer = L.Trainer()
        trainer.save_checkpoint("last.ckpt")
        accelerator = Accelerator()
        accelerator.save_state("out")
        accelerator.save(model.state_dict(), "weights.pt")
        engine, _, _, _ = deepspeed.initialize(model=model, optimizer=optimizer)
        engine.save_checkpoint("ckpts", tag="last")
        class LitModel(L.LightningModule):
            def on_validation_end(self):
                self.trainer.save_checkpoint("best.ckpt")
        """,
        rules=[r for r in ALL if r.code.startswith("CKPT1")],
    ) == []


def test_state_saved_conditionally_or_in_a_comprehension_counts() -> None:
    assert codes(
        """
        import torch
        import torch.nn as nn
        G, D = nn.Linear(2, 2), nn.Linear(2, 2)
        model = nn.Linear(2, 2)
        opt_g = torch.optim.Adam(G.parameters())
        opt_d = torch.optim.Adam(D.parameters())
        optimizer = torch.optim.Adam(model.parameters())
        def a():
            torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict() if optimizer else None, "opts": [o.state_dict() for o in (opt_g, opt_d)]}, "a.pt")
        """,
        rules=RULES,
    ) == []


def test_a_dict_built_by_the_caller_names_its_objects_as_the_caller_does() -> None:
    # `fit` saves the dict main built (followed through its parameter); its own `opt` is main's
    # `optimizer`, held under main's spelling: nothing is known missing.
    assert codes(
        """
        import torch
        import torch.nn as nn

        def fit(state, opt, loader):
            for x in loader:
                opt.step()
                state["step"] += 1
            torch.save(state, "last.pt")

        def main(loader):
            model = nn.Linear(2, 2)
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
            fit({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": 0}, optimizer, loader)
        """,
        rules=RULES,
    ) == []
