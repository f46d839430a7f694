"""CKPT109 non-atomic-save: `torch.save` straight over the checkpoint it replaces."""

from __future__ import annotations

from functools import partial
from typing import List

import libcst as cst

from ckptlint.fixes import Applicability, Fix, builders
from ckptlint.fixes.imports import runtime_reference
from ckptlint.rules.base import Context, FixAvailability, Invalid, Rule, Valid
from ckptlint.rules.words import TORCH, TORCH_SAVE
from ckptlint.semantic.facts.saves import TORCH_SAVE as TORCH_SAVE_NAME
from ckptlint.semantic.facts.saves import SaveSite


# Another module of the project in the multi-module examples below.
_UTILS = {
    "utils.py": """
        import torch

        def save_checkpoint(state, path):  # a save helper: each call is a save of that path
            torch.save(state, path)
    """,
}


class NonAtomicSave(Rule):
    """
    ## What it does
    Flags `torch.save` (directly, or through a same-file save helper) that
    writes straight to the final path of a checkpoint that is overwritten:
    the save runs more than once per process (in a loop, or in a function
    called from one) and its path is the same each time (followed through
    locals and helper parameters, it names no loop variable and no epoch,
    step or iteration counter). A save that runs once per process (a final
    export) is not flagged: one whose iteration always leaves the loop after
    it (a fallback save in an `except` that re-raises), one in a branch that
    the loop variable's value selects once (`if stage == "final":`, either
    branch of `if swa_eval:` in a loop over flags), and one whose path
    such a branch chooses. Nor are files that write to a temporary name and
    then `os.replace` / `os.rename` it in the same function, nor a save
    outside any loop whose path comes from a parameter of its function (the
    caller decides the path, and may rename it into place), nor a cache: a
    write in one branch of an `if` whose other branch loads the same path
    (`if os.path.exists(f): x = torch.load(f)` / `else: ...torch.save(x, f)`)
    holds what the function rebuilds when it cannot read it, not a run's
    state. Opt-in.

    ## Why is this bad?
    `torch.save` truncates the target and then writes it. A job killed
    mid-write (preemption, out-of-memory, a full disk) leaves neither the
    old checkpoint nor a new one: the only copy of the run's state is a
    truncated file that fails to load.

    ## Example
    ```python
    import torch

    def checkpoint(state):
        torch.save(state, "last.pt")
    for epoch in range(90):
        checkpoint({"epoch": epoch})
    ```

    Use instead:
    ```python
    import torch
    import ckptlint.runtime

    def checkpoint(state):
        ckptlint.runtime.atomic_save(state, "last.pt")
    for epoch in range(90):
        checkpoint({"epoch": epoch})
    ```

    ## Fix safety
    The fix calls `ckptlint.runtime.atomic_save(obj, path)`, which writes a
    temporary file in the same directory, fsyncs it and renames it over the
    target: the same bytes end up at the same path. It is offered only when
    the target is a path expression (not a file object), the call passes
    nothing else, and the write is in this file: a call of another module's
    save helper gets no fix (the write is in that module, and replacing the
    call would drop what else the helper does). It is safe when the project
    declares the runtime; adding the file's first `ckptlint.runtime` import
    makes it unsafe otherwise.
    """

    code = "CKPT109"
    requires = (TORCH, TORCH_SAVE)
    name = "non-atomic-save"
    message = "`torch.save` overwrites the checkpoint in place: a crash mid-write loses it"
    fix_title = "Write with `ckptlint.runtime.atomic_save`"
    fix_availability = FixAvailability.SOMETIMES
    fix_class = "safe"
    opt_in = True

    VALID = [
        Valid(
            """
            import torch
            for epoch in range(10):
                torch.save({"epoch": epoch}, f"ckpt_{epoch}.pt")  # a new file each time
            """
        ),
        Valid(
            """
            import os
            import torch
            def _save(self, save_path, epoch):
                torch.save({"epoch": epoch}, save_path)  # the caller renames the temporary
            def save_checkpoint(self, epoch):
                _save(self, "tmp.pt", epoch)
                os.rename("tmp.pt", "last.pt")
            """
        ),
        Valid(
            """
            import io
            import os
            import torch
            def save(state, path):
                torch.save(state, path + ".tmp")
                os.replace(path + ".tmp", path)
            buffer = io.BytesIO()
            torch.save({"a": 1}, buffer)
            """
        ),
        Valid(
            """
            import torch
            for epoch in range(90):
                train_one_epoch()
            torch.save({"epoch": 90}, "final.pt")  # once per process: nothing is overwritten
            """
        ),
        Valid(
            """
            import torch

            class Trainer:
                def save(self, path):
                    torch.save({"step": self.step, "model": self.model.state_dict()}, path)

                def train(self):
                    for step in range(self.train_num_steps):
                        self.step_once()
                        if step % self.save_every == 0:
                            self.save(f"model-{step}.pt")  # a new file each time
            """
        ),
        Valid(
            """
            import io
            import torch

            def broadcast_state(model):
                for step in range(10):
                    buffer = io.BytesIO()
                    torch.save(model.state_dict(), buffer)  # in memory: no file to lose
                    send(buffer.getvalue())
            """
        ),
        Valid(
            """
            from utils import save_checkpoint

            def train(model, epochs):
                for epoch in range(epochs):
                    save_checkpoint({"model": model.state_dict()}, f"ckpt_{epoch}.pt")  # a new file each time
            """,
            modules=_UTILS,
        ),
    ]
    INVALID = [
        Invalid(
            """
            from torch import save
            import ckptlint.runtime as rt
            def save_checkpoint(state, filename="checkpoint.pth.tar"):
                save(state, filename)
            for epoch in range(3):
                save_checkpoint({"epoch": epoch})
            """,
            fixed="""
            from torch import save
            import ckptlint.runtime as rt
            def save_checkpoint(state, filename="checkpoint.pth.tar"):
                rt.atomic_save(state, filename)
            for epoch in range(3):
                save_checkpoint({"epoch": epoch})
            """,
        ),
        Invalid(
            """
            import torch as th
            for step in range(100):
                th.save({"w": 1}, "last.pt", pickle_protocol=4)
            """,
        ),
        Invalid(
            """
            import torch

            class Trainer:
                def save(self, path):  # a path-only helper: each call is a save of that path
                    torch.save({"step": self.step, "model": self.model.state_dict()}, path)

                def train(self):
                    for step in range(self.train_num_steps):
                        self.step_once()
                        if step % self.save_every == 0:
                            self.save("latest.pt")
            """,
            fixed="""
            import torch
            import ckptlint.runtime

            class Trainer:
                def save(self, path):  # a path-only helper: each call is a save of that path
                    ckptlint.runtime.atomic_save({"step": self.step, "model": self.model.state_dict()}, path)

                def train(self):
                    for step in range(self.train_num_steps):
                        self.step_once()
                        if step % self.save_every == 0:
                            self.save("latest.pt")
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            import torch

            class Trainer:
                def save(self, milestone):  # builds its path from its parameter: each call is a save
                    torch.save({"model": self.model.state_dict()}, f"{self.results_folder}/model-{milestone}.pt")

                def train(self):
                    for step in range(self.train_num_steps):
                        self.step_once()
                        if step % self.save_every == 0:
                            self.save("latest")
            """,
        ),
        Invalid(
            """
            from utils import save_checkpoint

            def train(model, epochs):
                for epoch in range(epochs):
                    save_checkpoint({"model": model.state_dict()}, "last.pt")  # no fix: the write is in utils.py
            """,
            modules=_UTILS,
        ),
    ]

    def check_module(self, ctx: Context) -> None:
        model = ctx.model
        for save in model.saves.path_sites:
            if not model.paths.overwrites(save):
                continue
            fix = None
            writes = self._writes(ctx, save)
            # a helper of another module writes there: its call is not a `torch.save` to rewrite
            if save.external is None and save.saver == TORCH_SAVE_NAME and writes and all(_plain(call) for call in writes):
                fix = partial(self._fix, ctx, writes)
            ctx.report(save.call, fix=fix)

    def _fix(self, ctx: Context, writes: List[cst.Call]) -> Fix:
        spelling, import_edit = runtime_reference(ctx.model, "atomic_save")
        edits = [builders.replace_node(ctx.model, call.func, builders.dotted(spelling)) for call in writes]
        return ctx.fix([*edits, import_edit], Applicability.SAFE)

    @staticmethod
    def _writes(ctx: Context, save: SaveSite) -> List[cst.Call]:
        """The calls that write the file: the save, or every save of the helper it calls (a helper
        that saves in two branches, `if ddp: torch.save(a, path) else: torch.save(b, path)`, is
        made atomic in both or not at all)."""
        if save.helper is None:
            return [save.torch_save]
        function = save.helper.function
        tree = ctx.model.tree
        found = {id(s.torch_save): s.torch_save for s in ctx.model.saves.sites if tree.enclosing_function(s.torch_save) is function}
        found[id(save.torch_save)] = save.torch_save
        return sorted(found.values(), key=lambda call: tree.order[call])


def _plain(call: cst.Call) -> bool:
    """`torch.save(obj, path)`: two arguments, nothing `atomic_save` would read otherwise."""
    return len(call.args) == 2 and not any(a.star or (a.keyword and a.keyword.value not in ("obj", "f")) for a in call.args)
