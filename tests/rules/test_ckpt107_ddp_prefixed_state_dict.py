"""CKPT107 ddp-prefixed-state-dict."""

from __future__ import annotations

from support import codes, fix, lint

from ckptlint.rules.saving.ckpt107_ddp_prefixed_state_dict import DdpPrefixedStateDict

RULES = [DdpPrefixedStateDict]


def test_fires_after_the_wrap_in_statement_order_only() -> None:
    assert codes(
        """
        import torch
        from torch.nn.parallel import DistributedDataParallel as DDP
        from torch import nn
        def main():
            model = nn.Linear(2, 2)
            torch.save({"model": model.state_dict()}, "init.pt")
            model = DDP(model, device_ids=[0])
            torch.save({"model": model.state_dict()}, "last.pt")
        """,
        rules=RULES,
    ) == ["CKPT107"]


def test_data_parallel_spellings_and_self_attribute() -> None:
    assert codes(
        """
        import torch
        import torch.nn as nn
        class Trainer:
            def __init__(self):
                self.model = nn.DataParallel(nn.Linear(2, 2))
            def save(self):
                torch.save(self.model.state_dict(), "w.pt")
        """,
        rules=RULES,
    ) == ["CKPT107"]


def test_state_dict_of_model_module_is_silent() -> None:
    assert codes(
        """
        import torch
        from torch.nn.parallel import DistributedDataParallel as DDP
        from torch import nn
        model = DDP(nn.Linear(2, 2))
        torch.save({"model": model.module.state_dict()}, "a.pt")
        raw = model.module
        torch.save(raw.state_dict(), "b.pt")
        """,
        rules=RULES,
    ) == []


def test_fsdp_and_unsaved_state_dicts_are_not_its_business() -> None:
    assert codes(
        """
        import torch
        from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
        from torch.nn.parallel import DistributedDataParallel as DDP
        from torch import nn
        model = FSDP(nn.Linear(2, 2))
        torch.save({"model": model.state_dict()}, "a.pt")
        ddp = DDP(nn.Linear(2, 2))
        ema.load_state_dict(ddp.state_dict())
        """,
        rules=RULES,
    ) == []


def test_fix_unwraps_once_and_is_idempotent() -> None:
    code = """
        import torch
        from torch.nn.parallel import DistributedDataParallel as DDP
        from torch import nn
        model = DDP(nn.Linear(2, 2))
        sd = model.state_dict()
        torch.save(sd, "a.pt")
        torch.save({"m": sd}, "b.pt")
        """
    first = fix(code, rules=RULES, unsafe=True)
    assert first.text.count("model.module.state_dict()") == 1 and first.applied == 1
    assert fix(first.text, rules=RULES, unsafe=True).applied == 0
    assert fix(code, rules=RULES).applied == 0  # unsafe only


def test_branches_that_wrap_with_different_prefixes_are_silent() -> None:
    # a model either way, but `module.` in one branch and `_orig_mod.` in the other: no one prefix
    assert codes(
        """
        import torch
        from torch.nn.parallel import DistributedDataParallel as DDP
        from torch import nn
        def main(distributed):
            model = nn.Linear(2, 2)
            if distributed:
                model = DDP(model, device_ids=[0])
            else:
                model = torch.compile(model)
            torch.save({"model": model.state_dict()}, "last.pt")
            other = DDP(model) if distributed else model
            torch.save({"model": other.state_dict()}, "other.pt")
        """,
        rules=RULES,
    ) == []


def test_no_fix_when_the_load_is_into_a_model_only_some_branches_wrap() -> None:
    [found] = lint(
        """
        import torch
        from torch.nn.parallel import DistributedDataParallel as DDP
        from torch import nn
        def main(distributed):
            model = DDP(nn.Linear(2, 2))
            torch.save({"model": model.state_dict()}, "last.pt")
            other = nn.Linear(2, 2)
            if distributed:
                other = DDP(other)
            other.load_state_dict(torch.load("last.pt")["model"])
        """,
        rules=RULES,
    )
    # the load's model may or may not be wrapped: neither `other` nor `other.module` is right for both
    assert found.fix is None and "only some branches wrap" in found.message
