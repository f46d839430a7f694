"""CKPT104 missing-rng-state: a resume checkpoint without RNG state."""

from __future__ import annotations

import libcst as cst

from ckptlint.fixes import Applicability, builders, paired
from ckptlint.fixes.imports import runtime_reference
from ckptlint.rules.base import Context, FixAvailability, Invalid, Rule, Valid
from ckptlint.rules.words import SAVES, TORCH
from ckptlint.semantic.facts.saves import SaveSite


class MissingRngState(Rule):
    """
    ## What it does
    Flags a training checkpoint that holds optimizer state (so it is meant
    for resuming) but no RNG state: no `torch.get_rng_state()`,
    `torch.cuda.get_rng_state(_all)()`, `np.random.get_state()`,
    `random.getstate()`, `ckptlint.runtime.capture_rng_state()`, or a
    same-file function that calls one of them.

    ## Why is this bad?
    Dropout masks, data augmentation and the shuffling order all draw from
    the random number generators. A run resumed without their state draws
    different numbers from the ones the interrupted run would have drawn,
    so the resumed run cannot reproduce the uninterrupted one.

    ## Example
    ```python
    import torch
    import torch.nn as nn

    model = nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, "last.pt")
    ```

    Use instead:
    ```python
    import torch
    import torch.nn as nn
    import ckptlint.runtime

    model = nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    torch.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "rng": ckptlint.runtime.capture_rng_state(),
        },
        "last.pt",
    )
    ```

    ## Fix safety
    The fix adds `"rng": ckptlint.runtime.capture_rng_state()`, which
    captures the CPU, every CUDA device, numpy and Python RNGs and is never a
    collective, and restores it where the program resumes from that file
    (`if "rng" in ckpt: ckptlint.runtime.restore_rng_state(ckpt["rng"])`,
    after the resume's other restores; the test keeps checkpoints written
    before the fix loadable). Where no resume load of the file is visible in
    the module, nothing would restore the entry: there is no fix, and the
    message says what to add. It is safe when the project declares the runtime; adding the
    file's first `ckptlint.runtime` import otherwise makes it unsafe. In a
    distributed script, and for a save that runs on the main process only
    (under a rank guard: Accelerate and Fabric scripts run one process per
    device too), there is no fix: the capture would hold rank 0's RNG only,
    and restoring it on every rank makes them draw the same numbers, so use
    `ckptlint.runtime.save_checkpoint`, which every rank calls and which
    gathers every rank's RNG.
    """

    code = "CKPT104"
    requires = (TORCH, SAVES)
    name = "missing-rng-state"
    message = "Resume checkpoint without RNG state"
    fix_title = 'Add `"rng": ckptlint.runtime.capture_rng_state()`'
    fix_availability = FixAvailability.SOMETIMES
    fix_class = "safe"

    VALID = [
        Valid(
            """
            import random
            import numpy as np
            import torch
            import torch.nn as nn
            model = nn.Linear(4, 2)
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            def rng_states():
                return {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}
            torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "rng": rng_states()}, "a.pt")
            """
        ),
        Valid(
            """
            import torch
            import torch.nn as nn
            model = nn.Linear(4, 2)
            torch.save({"model": model.state_dict(), "epoch": 3}, "best.pt")  # no optimizer state: not for resuming
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch as th
            import torch.nn as nn
            model = nn.Linear(4, 2)
            opt = th.optim.SGD(model.parameters(), lr=0.1)
            if args.resume:
                ckpt = th.load("last.pt")
                model.load_state_dict(ckpt["model"])
                opt.load_state_dict(ckpt["optimizer"])
            th.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, "last.pt")
            """,
            fixed="""
            import torch as th
            import torch.nn as nn
            import ckptlint.runtime
            model = nn.Linear(4, 2)
            opt = th.optim.SGD(model.parameters(), lr=0.1)
            if args.resume:
                ckpt = th.load("last.pt")
                model.load_state_dict(ckpt["model"])
                opt.load_state_dict(ckpt["optimizer"])
                if "rng" in ckpt:
                    ckptlint.runtime.restore_rng_state(ckpt["rng"])
            th.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "rng": ckptlint.runtime.capture_rng_state()}, "last.pt")
            """,
            settings={"runtime": True},
        ),
        Invalid(
            """
            import torch
            import torch.nn as nn
            import torch.distributed as dist
            dist.init_process_group("nccl")
            model = nn.Linear(4, 2)
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            if dist.get_rank() == 0:
                torch.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, "last.pt")
            """,
        ),
        Invalid(
            """
            import torch
            from accelerate import Accelerator

            class Trainer:  # one process per device: rank 0's RNG is not every rank's
                def __init__(self, model):
                    self.accelerator = Accelerator()
                    self.model = model
                    self.opt = torch.optim.AdamW(model.parameters())

                def save(self, path):
                    if not self.accelerator.is_local_main_process:
                        return
                    torch.save({"model": self.model.state_dict(), "opt": self.opt.state_dict()}, path)

                def load(self, path):
                    data = torch.load(path, map_location="cpu")
                    self.model.load_state_dict(data["model"])
                    self.opt.load_state_dict(data["opt"])
            """,
        ),
        Invalid(
            """
            import torch
            from torch import nn

            class Net(nn.Module):
                pass

            def build_model(cfg):  # a factory: all its returns are models
                return Net()

            class Trainer:
                def __init__(self, cfg):
                    self.model = build_model(cfg)
                    self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.1)

                def save(self, path, epoch):
                    torch.save(
                        {
                            "model": self.model.state_dict(),
                            "optimizer": self.optimizer.state_dict(),
                            "epoch": epoch,
                        },
                        path,
                    )

                def resume(self, path):
                    state = torch.load(path, map_location="cpu")
                    self.model.load_state_dict(state["model"])
                    self.optimizer.load_state_dict(state["optimizer"])
                    return state["epoch"] + 1
            """,
            fixed="""
            import torch
            from torch import nn
            import ckptlint.runtime

            class Net(nn.Module):
                pass

            def build_model(cfg):  # a factory: all its returns are models
                return Net()

            class Trainer:
                def __init__(self, cfg):
                    self.model = build_model(cfg)
                    self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.1)

                def save(self, path, epoch):
                    torch.save(
                        {
                            "model": self.model.state_dict(),
                            "optimizer": self.optimizer.state_dict(),
                            "epoch": epoch,
                            "rng": ckptlint.runtime.capture_rng_state(),
                        },
                        path,
                    )

                def resume(self, path):
                    state = torch.load(path, map_location="cpu")
                    self.model.load_state_dict(state["model"])
                    self.optimizer.load_state_dict(state["optimizer"])
                    if "rng" in state:
                        ckptlint.runtime.restore_rng_state(state["rng"])
                    return state["epoch"] + 1
            """,
            settings={'runtime': True},
        ),
        Invalid(
            """
            import torch
            from lightning.fabric import Fabric
            from torch import nn

            fabric = Fabric()
            model = nn.Linear(4, 2)
            optimizer = torch.optim.AdamW(model.parameters())
            model, optimizer = fabric.setup(model, optimizer)
            fabric.save("last.ckpt", {"model": model, "optimizer": optimizer, "step": 10})  # Fabric saves their state dicts
            """,
        ),
        Invalid(
            """
            import torch

            def main(args):
                model = get_model(args)  # a model by use: the optimizer takes its parameters
                optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
                torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 1}, "last.pt")
            """,
        ),
    ]

    def check_save(self, save: SaveSite, ctx: Context) -> None:
        model = ctx.model
        checkpoint = model.checkpoints.of(save)
        if checkpoint is None or not checkpoint.is_for_resuming or checkpoint.has_unknown_spread or checkpoint.holds_rng:
            return
        if model.distributed.is_distributed or model.guards.guard_of(save.call) is not None:
            where = "in a distributed script" if model.distributed.is_distributed else "for a save on the main process only"
            ctx.report(
                save.call,
                message=f"Resume checkpoint without RNG state ({where}, "
                "use `ckptlint.runtime.save_checkpoint`, which gathers every rank's RNG)",
            )
            return
        key = checkpoint.free_key("rng", "rng_state")
        capture, import_edit = runtime_reference(model, "capture_rng_state")
        entry = builders.add_checkpoint_entry(model, checkpoint, key, cst.Call(func=builders.dotted(capture))) if key else None
        if entry is None or key is None:
            ctx.report(save.call)
            return
        restore, restore_import = runtime_reference(model, "restore_rng_state")
        pairing = paired.restore_entry(model, save, key, lambda load, anchor: builders.dotted(restore))
        if not pairing.complete:
            advice = f'`ckptlint.runtime.restore_rng_state(ckpt["{key}"])`'
            ctx.report(save.call, message=f"{self.message} (no fix: {pairing.problem}; save "
                       f"`ckptlint.runtime.capture_rng_state()`, and restore it where the job resumes: {advice})")
            return
        imports = [import_edit] if restore_import == import_edit else [import_edit, restore_import]
        ctx.report(save.call, fix=ctx.fix([entry, *pairing.edits, *imports], Applicability.SAFE))
