"""CKPT106 missing-progress-counter."""

from __future__ import annotations

from support import codes, lint

from ckptlint.rules.saving.ckpt106_missing_progress_counter import MissingProgressCounter

RULES = [MissingProgressCounter]

CODE = """
    import torch
    import torch.nn as nn
    model = nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    torch.save({{"model": model.state_dict(), "optimizer": opt.state_dict(){extra}}}, "a.pt")
    """


def test_fires_without_counter_and_has_no_fix() -> None:
    found = lint(CODE.format(extra=""), rules=RULES)
    assert [d.code for d in found] == ["CKPT106"] and found[0].fix is None


def test_any_key_containing_epoch_step_or_iter_counts() -> None:
    for extra in (', "epoch": 1', ', "global_step": 1', ', "iter_num": 1', ', "Iteration": 1', ', "meta": {"epoch": 1}'):
        assert codes(CODE.format(extra=extra), rules=RULES) == [], extra


def test_silent_with_unknown_spread_or_non_literal_key() -> None:
    assert codes(CODE.format(extra=", **progress"), rules=RULES) == []
    assert codes(CODE.format(extra=", KEY: 1"), rules=RULES) == []


def test_silent_without_optimizer_state() -> None:
    assert codes(
        """
        import torch
        import torch.nn as nn
        model = nn.Linear(2, 2)
        torch.save({"model": model.state_dict()}, "weights.pt")
        """,
        rules=RULES,
    ) == []


def test_helper_and_dict_call() -> None:
    assert codes(
        """
        from torch import save as torch_save, nn, optim
        def save_checkpoint(state, path):
            torch_save(state, path)
        model = nn.Linear(2, 2)
        opt = optim.Adam(model.parameters())
        save_checkpoint(dict(model=model.state_dict(), optimizer=opt.state_dict()), "a.pt")
        """,
        rules=RULES,
    ) == ["CKPT106"]


DATACLASS_STATE = """
    import dataclasses
    import torch

    @dataclasses.dataclass
    class CheckpointState:
        model: torch.nn.Module
        optimizer: {optimizer}

    class CheckpointBuilder:
        @staticmethod
        def create_checkpoint(state: CheckpointState):
            return {{"model": state.model.state_dict(), "optimizer": state.optimizer.state_dict()}}

    class CheckpointHandler:
        def __init__(self):
            self.builder = CheckpointBuilder()

        def save(self, state: CheckpointState, epochs: int, path: str):
            checkpoint = self.builder.create_checkpoint(state)
            torch.save(checkpoint, path)
    """


def test_the_fields_a_class_declares_give_its_instances_attributes_their_kinds() -> None:
    # `state: CheckpointState` is an instance of the dataclass: `state.optimizer` is an optimizer.
    found = lint(DATACLASS_STATE.format(optimizer="torch.optim.Optimizer"), rules=RULES)
    assert [(d.code, d.span.line) for d in found] == [("CKPT106", 20)]
    assert codes(DATACLASS_STATE.format(optimizer="OptimizerWrapper"), rules=RULES) == []  # a kind not known
