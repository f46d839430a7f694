"""CKPT401 unseeded-dataloader-workers: a shuffling or multi-worker DataLoader without its own generator."""

from __future__ import annotations

from functools import partial
from typing import List, Optional, Tuple

import libcst as cst

from ckptlint.fixes import Applicability, builders
from ckptlint.fixes.imports import runtime_reference
from ckptlint.fixes.model import Edit, Fix
from ckptlint.rules.base import Context, FixAvailability, Invalid, Rule, Valid
from ckptlint.semantic.facts.dataloaders import LoaderCall
from ckptlint.rules.words import SEEDS, TORCH


class UnseededDataloaderWorkers(Rule):
    """
    ## What it does
    Flags, in a file that seeds, a `DataLoader(...)` that shuffles
    (`shuffle=True`, a name assigned `True`, or a `RandomSampler` sampler) or
    whose `num_workers` is not literally 0, and that has no `generator=`.
    A missing `num_workers` means 0; `shuffle=args.x` is not shuffling. A
    loader that does not shuffle is flagged only when a training loop
    iterates it (a `for` over it whose body runs `backward()` or an
    optimizer step, directly or through a project function): evaluation and
    inference loaders with workers are not.

    ## Why is this bad?
    Without a generator of its own, the loader draws its shuffling order and
    its workers' base seed (since torch 1.9 each worker is seeded from it)
    from the global torch RNG. They change whenever the model's own use of
    randomness changes (a new dropout layer, another augmentation), and a
    resumed run reproduces them only if the global RNG state is restored
    exactly.

    ## Example
    ```python
    import torch
    from torch.utils.data import DataLoader

    torch.manual_seed(0)
    loader = DataLoader(range(10), shuffle=True)
    ```

    Use instead:
    ```python
    import torch
    from torch.utils.data import DataLoader

    torch.manual_seed(0)
    g = torch.Generator()
    g.manual_seed(0)
    loader = DataLoader(range(10), shuffle=True, generator=g)
    ```

    ## Fix safety
    The fix adds `generator=ckptlint.runtime.make_generator(SEED)`, with the
    seed the file already uses (a literal, or an expression that means the
    same at the loader), and `worker_init_fn=ckptlint.runtime.seed_worker`
    when `num_workers` is not literally 0 and no `worker_init_fn` is given.
    The loader's order becomes a function of the seed alone. There is no fix
    when no seed expression is reachable from the loader.

    In a distributed script each rank's workers must draw their own random
    numbers (augmentations): the companion's `make_generator` seeds exactly
    what it is given and knows nothing of ranks, so the fix itself seeds per
    rank, `make_generator(SEED + rank)`, with the rank the module has at the
    loader (a `rank` variable, or `ckptlint.runtime.get_rank()` after
    `init_process_group`), unless the seed already depends on the rank. A
    loader that shuffles by itself in a distributed script gets no fix: its
    generator also sets the order, and only the author knows whether the
    ranks must agree on it. It is safe when the
    project declares the runtime; adding the file's first `ckptlint.runtime`
    import makes it unsafe otherwise.
    """

    code = "CKPT401"
    name = "unseeded-dataloader-workers"
    message = "`DataLoader` without `generator=`: its order and worker seeds come from the global RNG"
    fix_title = "Give the loader its own seeded generator"
    fix_availability = FixAvailability.SOMETIMES
    fix_class = "safe"
    requires = (TORCH, ("DataLoader",), SEEDS)

    VALID = [
        Valid(
            """
            import torch
            from torch.utils.data import DataLoader
            torch.manual_seed(0)
            eval_loader = DataLoader(range(10), batch_size=2)  # no shuffling, no workers
            zero = DataLoader(range(10), num_workers=0, shuffle=False)
            """
        ),
        Valid(
            """
            import torch
            from torch.utils.data import DataLoader
            torch.manual_seed(0)
            g = torch.Generator()
            g.manual_seed(0)
            loader = DataLoader(range(10), shuffle=True, num_workers=4, generator=g)
            """
        ),
        Valid(
            """
            from torch.utils.data import DataLoader
            loader = DataLoader(range(10), shuffle=True, num_workers=4)  # the file never seeds
            """
        ),
        Valid(
            """
            import torch
            from torch.utils.data import DataLoader

            torch.manual_seed(0)
            val_loader = DataLoader(dataset, batch_size=32, num_workers=4)  # evaluation only
            with torch.no_grad():
                for x, y in val_loader:
                    metric.update(model(x), y)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            from torch.utils.data import DataLoader
            import ckptlint.runtime
            SEED = 42
            torch.manual_seed(SEED)
            loader = DataLoader(range(10), batch_size=2, shuffle=True, num_workers=4)
            """,
            fixed="""
            import torch
            from torch.utils.data import DataLoader
            import ckptlint.runtime
            SEED = 42
            torch.manual_seed(SEED)
            loader = DataLoader(range(10), batch_size=2, shuffle=True, num_workers=4, generator=ckptlint.runtime.make_generator(SEED), worker_init_fn=ckptlint.runtime.seed_worker)
            """,
        ),
        Invalid(
            """
            import torch
            from torch.utils.data import DataLoader, RandomSampler
            def main(args, dataset):
                torch.manual_seed(args.seed)
                return DataLoader(dataset, sampler=RandomSampler(dataset))
            """,
        ),
        Invalid(
            """
            import torch
            from torch.utils.data import DataLoader

            def prepare_dataloaders(args):  # the seed is not reachable here: no fix
                loader = DataLoader(dataset, batch_size=args.batch_size, shuffle=True, num_workers=4)
                return loader, None

            def main(args):
                torch.manual_seed(args.seed)
                train_loader, sampler = prepare_dataloaders(args)
                for x, y in train_loader:
                    loss_fn(model(x), y).backward()
            """,
        ),
        Invalid(
            """
            import torch
            from torch.utils.data import DataLoader

            torch.manual_seed(0)
            loader = DataLoader(dataset, batch_size=32, num_workers=4)  # no shuffling, but a training loop iterates it
            for x, y in loader:
                loss_fn(model(x), y).backward()
                optimizer.step()
            """,
            fixed="""
            import torch
            from torch.utils.data import DataLoader
            import ckptlint.runtime

            torch.manual_seed(0)
            loader = DataLoader(dataset, batch_size=32, num_workers=4, generator=ckptlint.runtime.make_generator(0), worker_init_fn=ckptlint.runtime.seed_worker)  # no shuffling, but a training loop iterates it
            for x, y in loader:
                loss_fn(model(x), y).backward()
                optimizer.step()
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            import torch
            from torch.utils.data import DataLoader

            def train_one_epoch(model, loader, optimizer):
                for images, target in loader:
                    update(model, images, target, optimizer)  # a project function that trains

            def update(model, images, target, optimizer):
                criterion(model(images), target).backward()
                optimizer.step()

            def main(args):
                torch.manual_seed(args.seed)
                train_loader = DataLoader(train_set, batch_size=256, num_workers=args.workers)
                val_loader = DataLoader(val_set, batch_size=256, num_workers=args.workers)  # silent
                for epoch in range(args.epochs):
                    train_one_epoch(model, train_loader, optimizer)
                    validate(val_loader, model)
            """,
        ),
        Invalid(
            """
            import torch
            from accelerate import Accelerator
            from torch.utils.data import DataLoader

            accelerator = Accelerator()
            torch.manual_seed(0)
            loader = DataLoader(dataset, batch_size=32, num_workers=4)
            model, optimizer, loader = accelerator.prepare(model, optimizer, loader)  # the same loader, prepared
            for x, y in loader:
                accelerator.backward(loss_fn(model(x), y))
                optimizer.step()
            """,
        ),
    ]

    def check_module(self, ctx: Context) -> None:
        model = ctx.model
        if not model.seeding.seeds:
            return
        for loader in model.dataloaders.calls:
            if loader.has_generator or loader.opaque:
                continue
            if loader.shuffles or not loader.workers_literally_zero and model.dataloaders.trained_on(loader):
                self._report(ctx, loader)  # workers alone: only a training loader

    def _report(self, ctx: Context, loader: LoaderCall) -> None:
        model = ctx.model
        seed = model.seeding.seed_at(loader.call)
        if seed is None:
            ctx.report(loader.call)
            return
        if model.distributed.is_distributed and not model.guards.mentions_rank(seed, loader.call):
            rank = None if loader.shuffles else model.guards.rank_at(loader.call)
            if rank is None:
                ctx.report(loader.call, message=f"{self.message} (no fix: in a distributed script its seed must "
                           "differ per rank where the ranks must draw differently: pass "
                           "`generator=ckptlint.runtime.make_generator(SEED + rank)`, or the same seed on every "
                           "rank if they must agree on the order)")
                return
            if rank == "get_rank()":
                get_rank, _ = runtime_reference(model, "get_rank")
                rank_node: cst.BaseExpression = cst.Call(func=builders.dotted(get_rank))
            else:
                rank_node = cst.Name(rank)
            seed = cst.BinaryOperation(left=seed, operator=cst.Add(), right=rank_node)
        ctx.report(loader.call, fix=partial(self._fix, ctx, loader, seed))

    def _fix(self, ctx: Context, loader: LoaderCall, seed: cst.BaseExpression) -> Fix:
        model = ctx.model
        make_generator, import_edit = runtime_reference(model, "make_generator")
        keywords: List[Tuple[str, cst.BaseExpression]] = [
            ("generator", cst.Call(func=builders.dotted(make_generator), args=[builders.positional_arg(seed)]))
        ]
        if not loader.workers_literally_zero and not loader.has_worker_init_fn:
            seed_worker, _ = runtime_reference(model, "seed_worker")
            keywords.append(("worker_init_fn", builders.dotted(seed_worker)))
        edits: List[Optional[Edit]] = [builders.add_keyword_arguments(model, loader.call, keywords), import_edit]
        return ctx.fix(edits, Applicability.SAFE)
