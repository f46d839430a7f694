"""CKPT203 resume-off-by-one: a resumed run repeats the epoch it had already finished."""

from __future__ import annotations

from functools import partial

import libcst as cst

from ckptlint.fixes import Applicability, Fix, builders
from ckptlint.rules.base import Context, FixAvailability, Invalid, Rule, Valid
from ckptlint.rules.words import EPOCHS, LOADS, SAVES, TORCH
from ckptlint.semantic.core.syntax import is_name
from ckptlint.semantic.facts.loops import Loop


class ResumeOffByOne(Rule):
    """
    ## What it does
    Flags the statement that sets the start of the epoch loop to the epoch
    read unchanged from a resume load (`start_epoch = ckpt["epoch"]`,
    `ckpt.get("epoch", 0)`, reaching `range(start_epoch, ...)`, also when
    the read is one branch of several), when the same file saves that
    loop's variable unchanged (`"epoch": epoch`) after the epoch's batch
    loop, in the same epoch loop.

    Silent when the save writes `epoch + 1`, when the load or the `range`
    adds 1 (`range(start_epoch + 1, ...)`, `start_epoch += 1`), when the
    save sits inside a nested loop (a mid-epoch save), and when the save
    side is not visible in the file.

    ## Why is this bad?
    The checkpoint is written after epoch `N` finished and records `N`. A
    run resumed from it starts again at `N`: it trains one epoch twice, the
    learning-rate schedule and the logged epochs shift by one, and a run
    that resumes repeatedly drifts further each time.

    ## Example
    ```python
    import torch

    ckpt = torch.load("last.pt", map_location="cpu")
    start_epoch = ckpt["epoch"]
    for epoch in range(start_epoch, 90):
        for x, y in loader:
            train_step(x, y)
        torch.save({"model": model.state_dict(), "epoch": epoch}, "last.pt")
    ```

    Use instead:
    ```python
    import torch

    ckpt = torch.load("last.pt", map_location="cpu")
    start_epoch = ckpt["epoch"] + 1
    for epoch in range(start_epoch, 90):
        for x, y in loader:
            train_step(x, y)
        torch.save({"model": model.state_dict(), "epoch": epoch}, "last.pt")
    ```

    ## Fix safety
    The fix adds `+ 1` to the value read. It is unsafe because it changes
    which epochs run: a checkpoint written by other code (or an older
    version of this script) that already stored `epoch + 1` would now skip
    an epoch.
    """

    code = "CKPT203"
    name = "resume-off-by-one"
    message = "Resumed run restarts at the saved epoch, which already finished"
    fix_title = "Start at the saved epoch `+ 1`"
    fix_availability = FixAvailability.ALWAYS
    fix_class = "unsafe"
    requires = (TORCH, LOADS, SAVES, EPOCHS, ("range",))

    VALID = [
        Valid(
            """
            import torch
            ckpt = torch.load("last.pt")
            start_epoch = ckpt["epoch"] + 1  # the resume code adds 1
            for epoch in range(start_epoch, 90):
                for x in loader:
                    step(x)
                torch.save({"model": model.state_dict(), "epoch": epoch}, "last.pt")
            """
        ),
        Valid(
            """
            import torch
            ckpt = torch.load("last.pt")
            start_epoch = ckpt["epoch"]
            for epoch in range(start_epoch, 90):
                for i, x in enumerate(loader):
                    step(x)
                    if i % 1000 == 0:
                        torch.save({"model": model.state_dict(), "epoch": epoch}, "last.pt")  # mid-epoch
            """
        ),
        Valid(
            """
            import torch
            ckpt = torch.load("last.pt")
            start_epoch = ckpt["epoch"]
            for epoch in range(start_epoch + 1, 90):
                train_one_epoch()
                torch.save({"model": model.state_dict(), "epoch": epoch}, "last.pt")
            """
        ),
        Valid(
            """
            import torch
            ckpt = torch.load("last.pt")
            start_epoch = ckpt["epoch"]
            for epoch in range(start_epoch, 90):
                train_one_epoch()
                torch.save({"model": model.state_dict(), "epoch": epoch + 1}, "last.pt")
            """
        ),
        Valid(
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

                def train(self, max_epochs):
                    for epoch in range(self.epochs_run, max_epochs):
                        for source, targets in self.train_data:
                            self._run_batch(source, targets)
                        torch.save({"MODEL_STATE": self.model.state_dict(), "EPOCHS_RUN": epoch + 1}, self.snapshot_path)
            """
        ),
        Valid(
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
                        self._save_snapshot(epoch + 1)  # the saved epoch is this method's parameter
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch

            def main(args):
                start_epoch = 0
                if args.resume:
                    ckpt = torch.load(args.resume, map_location="cpu")
                    model.load_state_dict(ckpt["model"])
                    start_epoch = ckpt.get("epoch", 0)  # resume here
                for epoch in range(start_epoch, args.epochs):
                    for x, y in loader:
                        step(x, y)
                    torch.save({"model": model.state_dict(), "epoch": epoch}, "last.pt")
            """,
            fixed="""
            import torch

            def main(args):
                start_epoch = 0
                if args.resume:
                    ckpt = torch.load(args.resume, map_location="cpu")
                    model.load_state_dict(ckpt["model"])
                    start_epoch = ckpt.get("epoch", 0) + 1  # resume here
                for epoch in range(start_epoch, args.epochs):
                    for x, y in loader:
                        step(x, y)
                    torch.save({"model": model.state_dict(), "epoch": epoch}, "last.pt")
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
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
                    self.epochs_run = snapshot["EPOCHS_RUN"]  # read in one method, the loop's start in another

                def train(self, max_epochs):
                    for epoch in range(self.epochs_run, max_epochs):
                        for source, targets in self.train_data:
                            self._run_batch(source, targets)
                        torch.save({"MODEL_STATE": self.model.state_dict(), "EPOCHS_RUN": epoch}, self.snapshot_path)
            """,
            fixed="""
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
                    self.epochs_run = snapshot["EPOCHS_RUN"] + 1  # read in one method, the loop's start in another

                def train(self, max_epochs):
                    for epoch in range(self.epochs_run, max_epochs):
                        for source, targets in self.train_data:
                            self._run_batch(source, targets)
                        torch.save({"MODEL_STATE": self.model.state_dict(), "EPOCHS_RUN": epoch}, self.snapshot_path)
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
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
                        self._save_snapshot(epoch)  # the saved epoch is this method's parameter
            """,
            fixed="""
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
                    self.epochs_run = snapshot["EPOCHS_RUN"] + 1

                def _save_snapshot(self, epoch):
                    snapshot = {"MODEL_STATE": self.model.state_dict(), "EPOCHS_RUN": epoch}
                    torch.save(snapshot, self.snapshot_path)

                def train(self, max_epochs):
                    for epoch in range(self.epochs_run, max_epochs):
                        for source, targets in self.train_data:
                            self._run_batch(source, targets)
                        self._save_snapshot(epoch)  # the saved epoch is this method's parameter
            """,
            applicability=Applicability.UNSAFE,
        ),
    ]

    def check_module(self, ctx: Context) -> None:
        model = ctx.model
        resume = model.resume
        if not resume.loads:
            return
        for loop in model.loops.epoch_loops:
            target = resume.epoch_start_target(loop)
            if target is None or loop.variable is None:
                continue
            for start in resume.raw_epoch_assignments(target, loop):
                if self._saves_loop_variable(ctx, loop, start.read.key):
                    ctx.report(start.statement, fix=partial(self._fix, ctx, start.assign))

    def _saves_loop_variable(self, ctx: Context, loop: Loop, key: str) -> bool:
        """A save writes ``key`` as the loop variable at the end of an epoch of ``loop``, and no save
        in the file writes ``key`` as anything else (`epoch + 1`). The saved value is followed back
        through the parameters of the function that saves it (`self._save_snapshot(epoch)`): each
        source must be the loop variable, and the save (or, through a parameter, the call that
        passes it, with the save in no loop of its own function) sits in ``loop`` and in no loop
        nested in it."""
        model = ctx.model
        unchanged = False
        for save in model.saves.sites:
            checkpoint = model.checkpoints.of(save)
            if checkpoint is None:
                continue
            for entry in checkpoint.entries:
                if entry.path != (key,):
                    continue
                sources = model.flows.sources(entry.value)
                if sources is None or not all(is_name(source, loop.variable) for source in sources):
                    return False  # `epoch + 1`, something else, or a value whose callers are not seen
                for source in sources:
                    at = save.call if source is entry.value else source
                    if source is not entry.value and model.loops.inside_any_loop(save.call):
                        continue
                    enclosing = model.loops.enclosing(at)
                    if enclosing and enclosing[0].node is loop.node:
                        unchanged = True
        return unchanged

    def _fix(self, ctx: Context, assign: cst.Assign) -> Fix:
        plus_one = cst.BinaryOperation(left=assign.value, operator=cst.Add(), right=cst.Integer("1"))
        edit = builders.replace_node(ctx.model, assign.value, plus_one)
        return ctx.fix([edit], Applicability.UNSAFE)
