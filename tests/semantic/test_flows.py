"""Values followed across functions (semantic/core/flows.py): backwards through parameters."""

from __future__ import annotations

from typing import List, Optional

from support import build_model


def sources_of_saved(code: str) -> List[Optional[List[str]]]:
    """The sources of each `torch.save`'s first argument, as source text."""
    model = build_model(code)
    found = []
    for site in model.calls_to("torch.save"):
        sources = model.flows.sources(site.node.args[0].value)
        found.append(None if sources is None else [model.code(s) for s in sources])
    return found


def test_a_parameter_has_the_arguments_of_every_call() -> None:
    assert sources_of_saved(
        """
        import torch

        class Trainer:
            def _save(self, value):
                torch.save(value, "last.pt")

            def _outer(self, epoch, step=0):
                self._save(epoch)
                torch.save(step, "step.pt")

            def train(self):
                for epoch in range(10):
                    self._outer(epoch)
                self._outer(epoch=99, step=5)
        """
    ) == [["epoch", "99"], ["0", "5"]]


def test_unknown_sources() -> None:
    assert sources_of_saved(
        """
        import torch

        def never_called(state):
            torch.save(state, "a.pt")

        def spread(state):
            torch.save(state, "b.pt")

        def reassigned(state):
            state = {"model": state}
            torch.save(state, "c.pt")

        spread(*args)
        reassigned(model)
        """
    ) == [None, None, ["state"]]


def test_holders_follow_returns_and_unpacking() -> None:
    model = build_model(
        """
        from torch.utils.data import DataLoader

        def build(args):
            loader = DataLoader(dataset)
            return loader, args

        def build_one():
            return DataLoader(dataset)

        def spread():
            return *extra, DataLoader(dataset)

        class Trainer:
            def setup(self, args):
                self.loader, _ = build(args)
                first, *rest = build(args)
                self.other = build_one()
                kept = spread()
        """
    )
    built = [site.node for site in model.calls_to("torch.utils.data.DataLoader")]
    assert [[model.code(h) for h in model.flows.holders(call)] for call in built] == [
        ["loader", "self.loader", "first"],
        ["self.other"],
        [],
    ]
