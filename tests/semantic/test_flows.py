"""Values followed across functions (semantic/core/flows.py): backwards through parameters."""

from __future__ import annotations

from typing import List, Optional

import libcst as cst
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


def _load_in(code: str):  # type: ignore[no-untyped-def]
    model = build_model(code)
    [load] = [c for c in model.tree.nodes(cst.Call) if model.code(c).startswith("torch.load")]
    return model, load


def test_names_that_hold_each_other_are_followed_once() -> None:
    # accelerate's fsdp_utils.py: `state_dict = state_dict["model"]` read its own uses for ever
    # (a RecursionError reported as an internal error of CKPT201 and CKPT202)
    model, load = _load_in(
        """
        import torch
        def f(model, p):
            sd = torch.load(p)
            sd = sd["model"]
            model.load_state_dict(sd)
            x = sd
            sd = x
        """
    )
    # `x = sd` and `sd = x` pass the value on: its ends are `sd["model"]` and the restore
    assert sorted(model.code(u) for u in model.flows.terminal_uses(load)) == ["sd", "sd"]
    assert model.flows.only_restores_state(load) is True
    model, load = _load_in(
        """
        import torch
        def f(model, p):
            sd = torch.load(p)
            sd = sd["model"]
            model.load_state_dict(sd)
            print(sd)
        """
    )
    assert model.flows.only_restores_state(load) is False  # printed too
