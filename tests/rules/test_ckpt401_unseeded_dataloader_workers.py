"""CKPT401 unseeded-dataloader-workers."""

from __future__ import annotations

from support import codes, fix, lint

from ckptlint.fixes.model import Applicability
from ckptlint.rules.reproducibility.ckpt401_unseeded_dataloader_workers import UnseededDataloaderWorkers

RULES = [UnseededDataloaderWorkers]
HEAD = "import torch\nfrom torch.utils.data import DataLoader\ntorch.manual_seed(0)\n"


def test_silent_without_workers_and_without_shuffling() -> None:
    assert codes(HEAD + "a = DataLoader(ds)\nb = DataLoader(ds, num_workers=0, shuffle=False)\n", rules=RULES) == []


def test_silent_with_a_generator() -> None:
    assert codes(HEAD + "a = DataLoader(ds, shuffle=True, num_workers=8, generator=g)\n", rules=RULES) == []


def test_silent_with_a_non_literal_shuffle_and_no_workers() -> None:
    assert codes(HEAD + "a = DataLoader(ds, shuffle=args.shuffle)\n", rules=RULES) == []


def test_silent_in_a_file_that_does_not_seed() -> None:
    code = "import torch\nfrom torch.utils.data import DataLoader\ng = torch.Generator()\ng.manual_seed(0)\na = DataLoader(ds, shuffle=True)\n"
    assert codes(code, rules=RULES) == []


def test_fires_for_workers_alone_under_a_training_loop_and_anchors_at_the_loader() -> None:
    training = "for x, y in loader:\n    loss_fn(model(x), y).backward()\n"
    found = lint(HEAD + "loader = DataLoader(\n    ds,\n    num_workers=args.workers,\n)\n" + training, rules=RULES)
    assert [(d.code, d.span.line) for d in found] == [("CKPT401", 4)]


def test_workers_alone_are_silent_without_a_training_loop() -> None:
    """Revision 2: a loader that does not shuffle fires only when a training loop iterates it."""
    assert codes(HEAD + "loader = DataLoader(ds, num_workers=args.workers)\n", rules=RULES) == []


def test_workers_alone_fire_for_the_loader_a_training_loop_iterates_only() -> None:
    """The loader is followed into the function it is passed to, and into `self.x` across the
    methods of a trainer; the loop trains through a project function."""
    found = lint(
        """
        import torch
        from torch.utils.data import DataLoader

        class Trainer:
            def __init__(self, train_set, val_set, workers):
                torch.manual_seed(0)
                self.train_loader = DataLoader(train_set, num_workers=workers)
                self.val_loader = DataLoader(val_set, num_workers=workers)

            def fit(self):
                for epoch in range(10):
                    for batch in self.train_loader:
                        self.training_step(batch)
                    evaluate(self.model, self.val_loader)

            def training_step(self, batch):
                self.model(batch).sum().backward()

        def evaluate(model, loader):
            with torch.no_grad():
                for batch in loader:
                    model(batch)
        """,
        rules=RULES,
    )
    assert [d.span.line for d in found] == [7]  # `self.train_loader = ...`


def test_a_loader_iterated_through_a_progress_bar_is_iterated() -> None:
    found = lint(
        """
        import torch
        from torch.utils.data import DataLoader
        from tqdm.auto import tqdm

        torch.manual_seed(0)
        loader = DataLoader(ds, num_workers=4)
        batches = tqdm(loader, desc="train")
        for step, batch in enumerate(batches):
            model(batch).sum().backward()
        """,
        rules=RULES,
    )
    assert [d.span.line for d in found] == [6]


def test_fix_zero_workers_adds_the_generator_only() -> None:
    outcome = fix(HEAD + "loader = DataLoader(ds, shuffle=True)\n", rules=RULES, table={"runtime": True})
    assert "DataLoader(ds, shuffle=True, generator=ckptlint.runtime.make_generator(0))" in outcome.text
    assert "worker_init_fn" not in outcome.text
    assert outcome.text.count("import ckptlint.runtime") == 1
    assert codes(outcome.text, rules=RULES) == []
    assert fix(outcome.text, rules=RULES, table={"runtime": True}).applied == 0


def test_fix_keeps_a_multiline_call_layout() -> None:
    code = HEAD + "loader = DataLoader(\n    ds,\n    shuffle=True,\n    num_workers=4,\n)\n"
    outcome = fix(code, rules=RULES, table={"runtime": True})
    assert "    num_workers=4,\n    generator=ckptlint.runtime.make_generator(0),\n    worker_init_fn=ckptlint.runtime.seed_worker,\n)" in outcome.text


def test_fix_is_unsafe_without_a_declared_runtime() -> None:
    found = lint(HEAD + "loader = DataLoader(ds, shuffle=True)\n", rules=RULES)
    assert found[0].fix is not None and found[0].fix.applicability is Applicability.UNSAFE


def test_no_fix_when_no_seed_is_reachable() -> None:
    code = """
        import torch
        from torch.utils.data import DataLoader
        def seed():
            s = 3
            torch.manual_seed(s)
        def build(ds):
            return DataLoader(ds, shuffle=True)
        """
    found = lint(code, rules=RULES)
    assert [d.code for d in found] == ["CKPT401"] and found[0].fix is None
