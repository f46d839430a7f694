"""CKPT305 fsdp-state-dict-without-policy."""

from __future__ import annotations

from support import lint

from ckptlint.rules.distributed.ckpt305_fsdp_state_dict_without_policy import FsdpStateDictWithoutPolicy

RULES = [FsdpStateDictWithoutPolicy]
HEADER = """import torch
import torch.distributed.checkpoint as dcp
from torch.distributed.fsdp import FullyShardedDataParallel as FSDP, StateDictType
model = FSDP(Net())
"""


def codes(body: str) -> list:
    return [d.code for d in lint(HEADER + body, rules=RULES)]


def test_anchor_is_the_state_dict_call() -> None:
    (found,) = lint(HEADER + 'torch.save(model.state_dict(), "m.pt")\n', rules=RULES)
    assert found.code == "CKPT305" and found.span.line == 5 and found.span.column == 12


def test_policy_context_and_global_policy_are_silent() -> None:
    assert codes('with FSDP.state_dict_type(model, StateDictType.FULL_STATE_DICT):\n    torch.save({"m": model.state_dict()}, "m.pt")\n') == []
    assert codes('FSDP.set_state_dict_type(model, StateDictType.FULL_STATE_DICT)\ntorch.save(model.state_dict(), "m.pt")\n') == []


def test_dcp_and_non_fsdp_models_are_silent() -> None:
    assert codes('dcp.save({"model": model.state_dict()}, checkpoint_id="ckpt")\n') == []
    assert codes('other = Net()\ntorch.save(other.state_dict(), "m.pt")\n') == []
