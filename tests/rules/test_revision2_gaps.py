"""Catalog revision 2 examples that the rules do not meet yet (issue #16, item 6).

Each case is what the catalog says a rule does on a revised definition, written
as the rule's VALID / INVALID example would be (``anchors``: the text on each
line the rule must report; none for a VALID case). It fails today for the
reason given, so it is a strict xfail: when the model learns it, the case
passes, the test fails, and the case moves into the rule's examples.
"""

from __future__ import annotations

from typing import List, NamedTuple, Type

import pytest
from support import dedent, lint

from ckptlint.rules.base import Rule
from ckptlint.rules.distributed.ckpt301_all_ranks_save import AllRanksSave
from ckptlint.rules.distributed.ckpt302_missing_barrier import MissingBarrier
from ckptlint.rules.distributed.ckpt303_sampler_epoch_not_set import SamplerEpochNotSet
from ckptlint.rules.distributed.ckpt305_fsdp_state_dict_without_policy import FsdpStateDictWithoutPolicy
from ckptlint.rules.loading.ckpt203_resume_off_by_one import ResumeOffByOne
from ckptlint.rules.reproducibility.ckpt401_unseeded_dataloader_workers import UnseededDataloaderWorkers
from ckptlint.rules.saving.ckpt102_missing_optimizer_state import MissingOptimizerState


class Gap(NamedTuple):
    rule: Type[Rule]
    code: str
    anchors: List[str]  # text on each line the catalog says the rule reports ([] for a VALID case)
    reason: str  # why it fails today

    def expected_lines(self) -> List[int]:
        lines = dedent(self.code).splitlines()
        return [next(i for i, line in enumerate(lines, 1) if anchor in line) for anchor in self.anchors]


SAVE_ON_MASTER = """
import torch
import torch.distributed as dist

def is_main_process():
    return dist.get_rank() == 0

def save_on_master(*args, **kwargs):
    if is_main_process():
        torch.save(*args, **kwargs)

def main(model):
    dist.init_process_group("nccl")
    save_on_master(model.state_dict(), "init.pt")
    model.load_state_dict(torch.load("init.pt", map_location="cpu"))
"""

GAPS = {
    "102-local-optimizer-by-scheduler": Gap(
        MissingOptimizerState,
        """
        import torch
        from torch import nn
        from torch.optim.lr_scheduler import StepLR

        def main(cfg):
            model = nn.Linear(4, 2)
            optimizer = build_optimizer(cfg, model)  # unknown, but the scheduler's optimizer
            scheduler = StepLR(optimizer, step_size=10)
            torch.save({"model": model.state_dict(), "scheduler": scheduler.state_dict()}, "last.pt")
        """,
        ["torch.save("],
        "Checkpoints.in_scope asks ObjectKinds.of_binding, which ignores kinds by use for a local "
        "(ObjectKinds.of(name) and attribute_kind do use them): the optimizer is not in scope",
    ),
    "203-save-through-a-method": Gap(
        ResumeOffByOne,
        """
        import os
        import torch

        class Trainer:
            def __init__(self, model, snapshot_path):
                self.model = model
                self.epochs_run = 0
                self.snapshot_path = snapshot_path
                if os.path.exists(snapshot_path):
                    self._load_snapshot(snapshot_path)

            def _load_snapshot(self, snapshot_path):
                snapshot = torch.load(snapshot_path, map_location="cpu")
                self.model.load_state_dict(snapshot["MODEL_STATE"])
                self.epochs_run = snapshot["EPOCHS_RUN"]

            def _save_snapshot(self, epoch):
                snapshot = {"MODEL_STATE": self.model.state_dict(), "EPOCHS_RUN": epoch}
                torch.save(snapshot, self.snapshot_path)

            def train(self, max_epochs):
                for epoch in range(self.epochs_run, max_epochs):
                    for source, targets in self.train_data:
                        self._run_batch(source, targets)
                    self._save_snapshot(epoch)
        """,
        ['self.epochs_run = snapshot["EPOCHS_RUN"]'],
        "CKPT203's _saves_loop_variable wants the save lexically in the epoch loop and the saved "
        "value spelled as the loop variable: `self._save_snapshot(epoch)` passes it through a "
        "parameter (the torchrun multinode example)",
    ),
    "301-save-on-master-guarded-inside": Gap(
        AllRanksSave,
        SAVE_ON_MASTER,
        [],
        "a false positive: Guards.guard_of(helper call) is None although the helper's save runs "
        "under `if is_main_process():` (catalog: such a helper's call is a rank-guarded save)",
    ),
    "302-save-on-master-then-load": Gap(
        MissingBarrier,
        SAVE_ON_MASTER,
        ["save_on_master(model.state_dict()"],
        "as 301: the helper call has no guard, so 302 sees an unguarded save",
    ),
    "303-loader-from-a-helper": Gap(
        SamplerEpochNotSet,
        """
        from torch.utils.data import DataLoader, DistributedSampler

        def prepare_dataloaders(args):
            sampler = DistributedSampler(dataset)
            loader = DataLoader(dataset, batch_size=args.batch_size, sampler=sampler)
            return loader, sampler

        def main(args):
            train_loader, sampler = prepare_dataloaders(args)
            for epoch in range(args.epochs):
                for batch in train_loader:
                    step(batch)
        """,
        ["for epoch in range"],
        "DistributedFacts.sampler_uses matches the loader by its spelling in the sampler's "
        "function; it does not follow `return loader, sampler` to the caller's unpacking",
    ),
    "305-state-dict-taken-under-the-policy": Gap(
        FsdpStateDictWithoutPolicy,
        """
        import torch
        from torch.distributed.fsdp import FullyShardedDataParallel as FSDP, StateDictType

        model = FSDP(net)
        with FSDP.state_dict_type(model, StateDictType.FULL_STATE_DICT):
            state = {"model": model.state_dict()}
        torch.save(state, "last.pt")
        """,
        [],
        "a false positive: 305 asks FsdpPolicy.governs(save call), not of the `state_dict()` "
        "call, which is what the policy governs",
    ),
    "401-evaluation-loader-with-workers": Gap(
        UnseededDataloaderWorkers,
        """
        import torch
        from torch.utils.data import DataLoader

        torch.manual_seed(0)
        val_loader = DataLoader(dataset, batch_size=32, num_workers=4)  # evaluation only
        with torch.no_grad():
            for x, y in val_loader:
                metric.update(model(x), y)
        """,
        [],
        "a false positive: revision 2 (a loader that does not shuffle fires only when a training "
        "loop iterates it) is not implemented; no fact says which loop iterates a loader",
    ),
}


@pytest.mark.parametrize(
    "name", [pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=GAPS[name].reason)) for name in sorted(GAPS)]
)
def test_revision2_gap(name: str) -> None:
    gap = GAPS[name]
    assert [d.span.line for d in lint(gap.code, rules=[gap.rule])] == gap.expected_lines()
