"""The FSDP state-dict policy facet: module default and `with` scopes, by qualified name."""

from __future__ import annotations

import libcst as cst
from support import build_model, dedent

from ckptlint.semantic.model import SemanticModel


def _model(code: str) -> SemanticModel:
    return build_model(code)


def _saves(model: SemanticModel):
    return [site.node for site in model.calls_to("torch.save")]


def test_with_block_governs_only_what_it_encloses() -> None:
    model = _model(
        """
        import torch
        from torch.distributed.fsdp import FullyShardedDataParallel as F, StateDictType
        def save(model):
            with F.state_dict_type(model, StateDictType.FULL_STATE_DICT):
                torch.save(model.state_dict(), "a.pt")
            torch.save(model.state_dict(), "b.pt")
        """
    )
    inside, outside = _saves(model)
    policy = model.fsdp_policy
    assert not policy.sets_default
    assert policy.governs(inside) and not policy.governs(outside)


def test_module_default_governs_everything() -> None:
    model = _model(
        """
        import torch
        import torch.distributed.fsdp as fsdp
        fsdp.FullyShardedDataParallel.set_state_dict_type(model, fsdp.StateDictType.SHARDED_STATE_DICT)
        torch.save(model.state_dict(), "a.pt")
        """
    )
    [save] = _saves(model)
    assert model.fsdp_policy.sets_default and model.fsdp_policy.governs(save)


def test_a_user_function_with_the_same_name_is_not_a_policy() -> None:
    model = _model(
        """
        import torch
        def state_dict_type(m):
            return m
        with state_dict_type(model):
            torch.save(model.state_dict(), "a.pt")
        """
    )
    [save] = _saves(model)
    assert not model.fsdp_policy.governs(save)
