"""CKPT303 sampler-epoch-not-set: a shuffling DistributedSampler that replays one order every epoch."""

from __future__ import annotations

from functools import partial
from typing import Optional

import libcst as cst

from ckptlint.fixes import Applicability, Fix, builders
from ckptlint.rules.base import Context, FixAvailability, Invalid, Rule, Valid
from ckptlint.rules.words import TORCH
from ckptlint.semantic.facts.distributed import SamplerUse


class SamplerEpochNotSet(Rule):
    """
    ## What it does
    Flags the epoch loop that iterates the loader of a shuffling
    `DistributedSampler` (no `shuffle=False`) when the loop never calls
    `set_epoch`: neither directly (`sampler.set_epoch(epoch)`,
    `loader.sampler.set_epoch(epoch)`) nor in a same-file function it calls.
    A sampler built with a non-literal `shuffle=` is not checked. The loader
    and the sampler are followed through returns: a helper that builds them
    and returns them (`train_loader, sampler = prepare_dataloaders(args)`)
    hands them to its caller's epoch loop.

    ## Why is this bad?
    `DistributedSampler` seeds its shuffle with `seed + epoch`, and the epoch
    is 0 until `set_epoch` changes it. Without the call every epoch sees the
    data in the same order, and a resumed run cannot tell which order the
    interrupted run was on.

    ## Example
    ```python
    from torch.utils.data import DataLoader, DistributedSampler

    sampler = DistributedSampler(dataset)
    loader = DataLoader(dataset, sampler=sampler)
    for epoch in range(10):
        for batch in loader:
            step(batch)
    ```

    Use instead:
    ```python
    from torch.utils.data import DataLoader, DistributedSampler

    sampler = DistributedSampler(dataset)
    loader = DataLoader(dataset, sampler=sampler)
    for epoch in range(10):
        sampler.set_epoch(epoch)
        for batch in loader:
            step(batch)
    ```
    """

    code = "CKPT303"
    name = "sampler-epoch-not-set"
    message = "Epoch loop never calls `set_epoch` on its `DistributedSampler`: every epoch sees one order"
    fix_title = "Call `sampler.set_epoch(epoch)` at the start of the epoch loop"
    fix_availability = FixAvailability.SOMETIMES
    fix_class = "safe"
    requires = (TORCH, ("DistributedSampler",))

    VALID = [
        Valid(
            """
            from torch.utils.data import DataLoader, DistributedSampler
            sampler = DistributedSampler(dataset)
            loader = DataLoader(dataset, sampler=sampler)
            for epoch in range(10):
                loader.sampler.set_epoch(epoch)
                for batch in loader:
                    step(batch)
            """
        ),
        Valid(
            """
            from torch.utils.data import DataLoader, DistributedSampler
            sampler = DistributedSampler(dataset, shuffle=False)
            loader = DataLoader(dataset, sampler=sampler)
            for epoch in range(10):
                for batch in loader:
                    step(batch)
            """
        ),
        Valid(
            """
            from torch.utils.data import DataLoader, DistributedSampler

            def train_one_epoch(loader, epoch):
                loader.sampler.set_epoch(epoch)
                for batch in loader:
                    step(batch)

            def main():
                sampler = DistributedSampler(dataset)
                loader = DataLoader(dataset, sampler=sampler)
                for epoch in range(10):
                    train_one_epoch(loader, epoch)
            """
        ),
        Valid(
            """
            from torch.utils.data import DataLoader, DistributedSampler

            def prepare_dataloaders(args):
                sampler = DistributedSampler(dataset)
                return DataLoader(dataset, batch_size=args.batch_size, sampler=sampler)

            def main(args):
                train_loader = prepare_dataloaders(args)
                for epoch in range(args.epochs):
                    train_loader.sampler.set_epoch(epoch)
                    for batch in train_loader:
                        step(batch)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            from torch.utils.data import DataLoader, DistributedSampler

            def main(args):
                train_sampler = DistributedSampler(dataset)
                loader = DataLoader(dataset, batch_size=32, sampler=train_sampler)
                for epoch in range(args.start_epoch, args.epochs):
                    # one pass over the data
                    train(loader, model, epoch)
            """,
            fixed="""
            from torch.utils.data import DataLoader, DistributedSampler

            def main(args):
                train_sampler = DistributedSampler(dataset)
                loader = DataLoader(dataset, batch_size=32, sampler=train_sampler)
                for epoch in range(args.start_epoch, args.epochs):
                    train_sampler.set_epoch(epoch)
                    # one pass over the data
                    train(loader, model, epoch)
            """,
        ),
        Invalid(
            """
            import torch.utils.data as tud
            loader = tud.DataLoader(dataset, sampler=tud.DistributedSampler(dataset, shuffle=True))
            for epoch in range(3):
                for batch in loader:
                    step(batch)
            """,
            fixed="""
            import torch.utils.data as tud
            loader = tud.DataLoader(dataset, sampler=tud.DistributedSampler(dataset, shuffle=True))
            for epoch in range(3):
                loader.sampler.set_epoch(epoch)
                for batch in loader:
                    step(batch)
            """,
        ),
        Invalid(
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
            fixed="""
            from torch.utils.data import DataLoader, DistributedSampler

            def prepare_dataloaders(args):
                sampler = DistributedSampler(dataset)
                loader = DataLoader(dataset, batch_size=args.batch_size, sampler=sampler)
                return loader, sampler

            def main(args):
                train_loader, sampler = prepare_dataloaders(args)
                for epoch in range(args.epochs):
                    sampler.set_epoch(epoch)
                    for batch in train_loader:
                        step(batch)
            """,
        ),
    ]

    def check_module(self, ctx: Context) -> None:
        for use in ctx.model.distributed.sampler_uses:
            if not use.sets_epoch:
                ctx.report(use.loop.node, fix=partial(self._fix, ctx, use))

    def _fix(self, ctx: Context, use: SamplerUse) -> Optional[Fix]:
        loop = use.loop
        body = loop.node.body
        if loop.variable is None or loop.range_args is None or not isinstance(body, cst.IndentedBlock):
            return None  # no integer epoch variable, or a one-line loop
        receiver = use.sampler or f"{use.loader}.sampler"
        statement = builders.call_statement(
            cst.Attribute(value=builders.dotted(receiver), attr=cst.Name("set_epoch")), cst.Name(loop.variable)
        )
        return ctx.fix([builders.insert_statement_first(ctx.model, body, statement)], Applicability.SAFE)
