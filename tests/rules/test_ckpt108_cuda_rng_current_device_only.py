"""CKPT108 cuda-rng-current-device-only."""

from __future__ import annotations

from support import codes, fix, lint

from ckptlint.rules.saving.ckpt108_cuda_rng_current_device_only import CudaRngCurrentDeviceOnly

RULES = [CudaRngCurrentDeviceOnly]

SAVE = """
    import torch
    {extra}
    def save(path):
        torch.save({{"rng": {{"cuda": torch.cuda.get_rng_state(), "cpu": torch.get_rng_state()}}}}, path)
    def load(path):
        state = torch.load(path)
        torch.cuda.set_rng_state(state["rng"]["cuda"])
        torch.set_rng_state(state["rng"]["cpu"])
    """


def test_fires_on_a_single_process_script_and_rewrites_the_restore() -> None:
    outcome = fix(SAVE.format(extra=""), rules=RULES, unsafe=True)
    assert "torch.cuda.get_rng_state_all()" in outcome.text
    assert 'torch.cuda.set_rng_state_all(state["rng"]["cuda"])' in outcome.text
    assert 'torch.set_rng_state(state["rng"]["cpu"])' in outcome.text
    assert fix(outcome.text, rules=RULES, unsafe=True).applied == 0


def test_silent_in_a_distributed_script() -> None:
    for extra in (
        "import torch.distributed as dist; dist.init_process_group('nccl')",
        "from torch.utils.data.distributed import DistributedSampler",
        "import os; rank = int(os.environ['RANK'])",
    ):
        if "DistributedSampler" in extra:
            extra += "; sampler = DistributedSampler(ds)"
        assert codes(SAVE.format(extra=extra), rules=RULES) == [], extra


def test_anchor_is_the_get_rng_state_call_and_not_stored_is_silent() -> None:
    found = lint(SAVE.format(extra=""), rules=RULES)
    assert [d.span.line for d in found] == [4]
    assert codes(
        """
        import torch
        state = torch.cuda.get_rng_state()
        print(state.sum())
        """,
        rules=RULES,
    ) == []


def test_from_import_gets_no_fix() -> None:
    [finding] = lint(
        """
        import torch
        from torch.cuda import get_rng_state
        torch.save({"cuda": get_rng_state()}, "a.pt")
        """,
        rules=RULES,
    )
    assert finding.fix is None


BRANCHES = """
    import torch
    def save(path):
        if torch.cuda.is_available():
            cuda_state = torch.cuda.get_rng_state({device})
        else:
            cuda_state = None
        torch.save({{"cpu": torch.get_rng_state(), "cuda": cuda_state}}, path)
    """


def test_a_value_stored_in_one_branch_is_stored() -> None:
    found = lint(BRANCHES.format(device=""), rules=RULES)
    assert [(d.code, d.span.line) for d in found] == [("CKPT108", 4)]
    assert codes(BRANCHES.format(device="0"), rules=RULES) == []  # a device given: that device's state
