"""CKPT301 all-ranks-save: positives, the silences the issue lists, and the wrap fix."""

from __future__ import annotations

import difflib

import libcst as cst
from support import dedent, fix, lint

from ckptlint.rules.distributed.ckpt301_all_ranks_save import AllRanksSave

RULES = [AllRanksSave]

HEADER = """
import os
import torch
import torch.distributed as dist
dist.init_process_group("nccl")
"""


def codes(body: str) -> list:
    return [d.code for d in lint(HEADER + dedent(body), rules=RULES)]


def test_unguarded_save_fires() -> None:
    assert codes('torch.save({"model": model.state_dict()}, "ckpt.pt")\n') == ["CKPT301"]


def test_guard_through_early_return_in_same_function_is_silent() -> None:
    assert codes(
        """
        def save(model):
            if dist.get_rank() != 0:
                return
            torch.save(model.state_dict(), "ckpt.pt")
        """
    ) == []


def test_per_rank_file_names_are_silent() -> None:
    assert codes('torch.save(torch.get_rng_state(), f"rng_{dist.get_rank()}.pt")\n') == []
    assert codes(
        """
        rank = int(os.environ["RANK"])
        path = os.path.join(out, f"ckpt_rank{rank}.pt")
        torch.save(model.state_dict(), path)
        """
    ) == []


def test_dcp_save_is_silent() -> None:
    assert codes(
        """
        import torch.distributed.checkpoint as dcp
        dcp.save({"model": model.state_dict()}, checkpoint_id="ckpt")
        """
    ) == []


def test_fsdp_state_dict_is_left_to_305() -> None:
    assert codes(
        """
        from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
        model = FSDP(Net())
        torch.save(model.state_dict(), "ckpt.pt")
        """
    ) == []


def test_import_only_is_not_a_distributed_script() -> None:
    assert [d.code for d in lint('import torch\nimport torch.distributed as dist\ntorch.save({}, "a.pt")\n', rules=RULES)] == []


def test_mp_spawn_style_guard_and_helper_call_site() -> None:
    assert codes(
        """
        def save_checkpoint(state, filename="checkpoint.pth.tar"):
            torch.save(state, filename)

        def main_worker(gpu, ngpus_per_node, args):
            if not args.multiprocessing_distributed or (args.multiprocessing_distributed and args.rank % ngpus_per_node == 0):
                save_checkpoint({"state_dict": model.state_dict()})
            save_checkpoint({"state_dict": model.state_dict()}, "every_rank.pt")
        """
    ) == ["CKPT301"]


def test_function_called_only_under_a_guard_is_silent() -> None:
    assert codes(
        """
        def dump():
            torch.save(model.state_dict(), "ckpt.pt")
        if dist.get_rank() == 0:
            dump()
        """
    ) == []


def test_wrap_fix_reindents_only_the_save_and_keeps_comments() -> None:
    source = dedent(
        """
        import torch
        import torch.distributed as dist


        def train(model, epochs):
            dist.init_process_group("nccl")
            for epoch in range(epochs):
                step(model)
                # write the weights
                torch.save(
                    model.state_dict(),  # weights only
                    "ckpt.pt",
                )
                log(epoch)
        """
    )
    outcome = fix(source, rules=RULES, unsafe=True, table={"runtime": True})
    assert outcome.error is None
    cst.parse_module(outcome.text)
    assert fix(outcome.text, rules=RULES, unsafe=True, table={"runtime": True}).applied == 0  # idempotent
    assert lint(outcome.text, rules=RULES) == []
    assert outcome.text.count("import ckptlint.runtime") == 1
    changed = [l for l in difflib.ndiff(source.splitlines(), outcome.text.splitlines()) if l[:2] in ("- ", "+ ")]
    assert sorted(changed) == sorted([
        "-         torch.save(",
        "-             model.state_dict(),  # weights only",
        '-             "ckpt.pt",',
        "-         )",
        "+ import ckptlint.runtime",
        "+         if ckptlint.runtime.is_main_process():",
        "+             torch.save(",
        "+                 model.state_dict(),  # weights only",
        '+                 "ckpt.pt",',
        "+             )",
    ])
    assert "        # write the weights\n        if ckptlint" in outcome.text


def test_fix_is_not_offered_for_a_save_inside_an_expression() -> None:
    (found,) = lint(HEADER + 'ok = torch.save({}, "a.pt") or True\n', rules=RULES)
    assert found.fix is None


def test_rank_under_another_name_guards() -> None:
    # pytorch/examples ddp-tutorial-series: `self.gpu_id = int(os.environ["LOCAL_RANK"])`,
    # the save helper is called under `if self.gpu_id == 0 and ...` (was a false positive).
    assert codes(
        """
        class Trainer:
            def __init__(self, model):
                self.gpu_id = int(os.environ["LOCAL_RANK"])
                self.model = model

            def _save_snapshot(self, epoch):
                snapshot = {"MODEL_STATE": self.model.module.state_dict(), "EPOCHS_RUN": epoch}
                torch.save(snapshot, "snapshot.pt")

            def train(self, max_epochs):
                for epoch in range(max_epochs):
                    if self.gpu_id == 0 and epoch % 5 == 0:
                        self._save_snapshot(epoch)
        """
    ) == []


def test_unreferenced_helper_in_a_module_distributed_only_by_env_read_is_silent() -> None:
    # yolov5 utils/general.py: `RANK = int(os.getenv("RANK", -1))` for logging, and
    # `strip_optimizer` is called from train.py under `if RANK in {-1, 0}` (was a false positive).
    helper = """
        import os
        import torch
        RANK = int(os.getenv("RANK", -1))

        def strip_optimizer(f="best.pt", s=""):
            x = torch.load(f, map_location="cpu")
            x["optimizer"] = None
            torch.save(x, s or f)
        """
    assert [d.code for d in lint(helper, rules=RULES)] == []
    # called in the same file without a guard: the file shows the context, so it fires
    assert [d.code for d in lint(helper + "strip_optimizer()\n", rules=RULES)] == ["CKPT301"]
