"""CKPT107 ddp-prefixed-state-dict: saving the state dict of a DDP / DataParallel / compiled wrapper."""

from __future__ import annotations

from typing import Optional, Tuple

import libcst as cst

from ckptlint.fixes import Applicability, builders, paired
from ckptlint.rules.base import Context, FixAvailability, Invalid, Rule, Valid
from ckptlint.rules.words import SAVES, STATE_DICT, TORCH
from ckptlint.semantic.facts.saves import SaveSite

PREFIXES = {"ddp": "module.", "dp": "module.", "compile": "_orig_mod."}


class DdpPrefixedStateDict(Rule):
    """
    ## What it does
    Flags a saved `state_dict()` taken from a name bound to a
    `DistributedDataParallel` / `DataParallel` wrap (its keys start with
    `module.`) or to a `torch.compile(...)` result (keys start with
    `_orig_mod.`). `model.module.state_dict()` and `state_dict()` of an FSDP
    model are not flagged.

    ## Why is this bad?
    The prefixed keys match only a model wrapped the same way. Loading the
    checkpoint into a plain model (for evaluation, export, or a resume on one
    GPU) fails with missing and unexpected keys, or silently loads nothing
    with `strict=False`.

    ## Example
    ```python
    import torch
    import torch.nn as nn

    model = torch.nn.DataParallel(nn.Linear(4, 2))
    torch.save({"model": model.state_dict()}, "last.pt")
    ```

    Use instead:
    ```python
    import torch
    import torch.nn as nn

    model = torch.nn.DataParallel(nn.Linear(4, 2))
    torch.save({"model": model.module.state_dict()}, "last.pt")
    ```

    ## Fix safety
    Unsafe: the fix saves `model.module.state_dict()` (or
    `model._orig_mod.state_dict()` for `torch.compile`), so the saved keys
    lose their prefix. The loads of that file in the same module change with
    it: `model.load_state_dict(ckpt["model"])` into the wrap becomes
    `model.module.load_state_dict(...)`. Where a load uses the entry another
    way (strips the prefix itself, hands the dict to a helper) or loads it
    into an object of unknown kind, there is no fix. Loaders in other
    modules or programs that expect the prefix must change too.
    """

    code = "CKPT107"
    requires = (TORCH, SAVES, STATE_DICT)
    name = "ddp-prefixed-state-dict"
    message = "`state_dict()` of a wrapped model: its keys carry the wrapper's prefix"
    fix_title = "Take the state dict of the unwrapped model"
    fix_availability = FixAvailability.SOMETIMES
    fix_class = "unsafe"

    VALID = [
        Valid(
            """
            import torch
            from torch.nn.parallel import DistributedDataParallel as DDP
            from torch import nn
            model = DDP(nn.Linear(4, 2))
            torch.save({"model": model.module.state_dict()}, "last.pt")
            """
        ),
        Valid(
            """
            import torch
            from torch import nn
            def save(model, path):
                torch.save(model.state_dict(), path)  # unknown: a parameter
            """
        ),
        Valid(
            """
            import torch
            from torch import nn
            from torch.nn.parallel import DistributedDataParallel as DDP

            def main(args):
                model = nn.Linear(4, 2).cuda()
                if args.distributed:
                    model = DDP(model, device_ids=[args.gpu])
                torch.save({"model": model.state_dict(), "epoch": 1}, "last.pt")  # wrapped in one branch only: unknown
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch as th
            from torch.nn.parallel import DistributedDataParallel as DDP
            from torch import nn
            def main():
                model = nn.Linear(4, 2).cuda()
                model = DDP(model)
                state = model.state_dict()
                th.save(state, "weights.pt")
            """,
            fixed="""
            import torch as th
            from torch.nn.parallel import DistributedDataParallel as DDP
            from torch import nn
            def main():
                model = nn.Linear(4, 2).cuda()
                model = DDP(model)
                state = model.module.state_dict()
                th.save(state, "weights.pt")
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            import torch
            from torch import nn
            net = torch.compile(nn.Linear(4, 2))
            torch.save({"model": net.state_dict(), "epoch": 1}, "last.pt")
            """,
            fixed="""
            import torch
            from torch import nn
            net = torch.compile(nn.Linear(4, 2))
            torch.save({"model": net._orig_mod.state_dict(), "epoch": 1}, "last.pt")
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            import torch
            from torch import nn
            from torch.nn.parallel import DistributedDataParallel as DDP

            def main(args):
                model = nn.Linear(4, 2).cuda()
                if args.distributed:
                    model = DDP(model, device_ids=[args.gpu])
                else:
                    model = nn.DataParallel(model)  # both branches wrap: keys start with `module.`
                torch.save({"model": model.state_dict(), "epoch": 1}, "last.pt")
            """,
            fixed="""
            import torch
            from torch import nn
            from torch.nn.parallel import DistributedDataParallel as DDP

            def main(args):
                model = nn.Linear(4, 2).cuda()
                if args.distributed:
                    model = DDP(model, device_ids=[args.gpu])
                else:
                    model = nn.DataParallel(model)  # both branches wrap: keys start with `module.`
                torch.save({"model": model.module.state_dict(), "epoch": 1}, "last.pt")
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            import torch
            from torch import nn
            from torch.nn.parallel import DistributedDataParallel as DDP

            def save_checkpoint(model, optimizer, epoch):  # unannotated: every call passes the wrap
                torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch}, "last.pt")

            def main():
                model = DDP(nn.Linear(4, 2).cuda())
                optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
                for epoch in range(10):
                    save_checkpoint(model, optimizer, epoch)
            """,
            fixed="""
            import torch
            from torch import nn
            from torch.nn.parallel import DistributedDataParallel as DDP

            def save_checkpoint(model, optimizer, epoch):  # unannotated: every call passes the wrap
                torch.save({"model": model.module.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch}, "last.pt")

            def main():
                model = DDP(nn.Linear(4, 2).cuda())
                optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
                for epoch in range(10):
                    save_checkpoint(model, optimizer, epoch)
            """,
            applicability=Applicability.UNSAFE,
        ),
    ]

    def check_save(self, save: SaveSite, ctx: Context) -> None:
        checkpoints = ctx.model.checkpoints
        for entry in checkpoints.saved_values(save):
            call = checkpoints.state_dict_call(entry.value)  # `model.state_dict()`, or `sd` bound to it
            kind = entry.state_of  # the kind of that call's receiver
            if call is None or kind is None or kind.wrap not in PREFIXES or kind.unwrap_attribute is None:
                continue
            message = f"`state_dict()` of a wrapped model: its keys start with `{PREFIXES[kind.wrap]}`"
            receiver = cst.ensure_type(call.func, cst.Attribute).value
            unwrapped = cst.Attribute(value=receiver, attr=cst.Name(kind.unwrap_attribute))
            pairing = self._loads(ctx, save, entry.path, PREFIXES[kind.wrap])
            if not pairing.complete:
                ctx.report(call, message=f"{message} (no fix: {pairing.problem}; save "
                           f"`{ctx.model.code(receiver)}.{kind.unwrap_attribute}.state_dict()` and load it into the unwrapped model there)")
                continue
            edit = builders.replace_node(ctx.model, receiver, unwrapped)
            ctx.report(call, message=message, fix=ctx.fix([edit, *pairing.edits], Applicability.UNSAFE))

    @staticmethod
    def _loads(ctx: Context, save: SaveSite, path: Tuple[Optional[str], ...], prefix: str) -> paired.Pairing:
        """The loads of the file, loading the entry into the unwrapped model."""
        if len(path) > 1:  # a nested entry: its loads are not followed
            loads = ctx.model.files.loads_of_checkpoint(save)
            return paired.Pairing(problem=f"the load {paired.where(ctx.model, loads[0].call)} reads it nested") if loads else paired.Pairing()
        return paired.unwrap_loads(ctx.model, save, path[0] if path else None, prefix)
