"""CKPT202 load-without-weights-only: `torch.load` that may unpickle arbitrary code."""

from __future__ import annotations

from functools import partial

import libcst as cst

from ckptlint.fixes import Applicability, Fix, builders
from ckptlint.rules.base import Context, FixAvailability, Invalid, Rule, Valid
from ckptlint.semantic.core.calls import CallSite
from ckptlint.rules.words import LOADS, TORCH

# From torch 2.6 on, `weights_only` defaults to True.
SAFE_DEFAULT_SINCE = (2, 6)


class LoadWithoutWeightsOnly(Rule):
    """
    ## What it does
    Flags `torch.load(...)` without `weights_only=` when the project targets a
    torch older than 2.6, and `torch.load(..., weights_only=False)` at any
    version. A load from an in-memory buffer (`io.BytesIO(...)`, a name bound
    to one, an object received from a broadcast) is no checkpoint load: it
    moves objects between the processes of one job, whatever their types.

    ## Why is this bad?
    A checkpoint is a pickle. Loading it with `weights_only=False` (the default
    before torch 2.6) runs whatever code the file names, so a checkpoint
    downloaded or shared by someone else can execute code on the training
    machine. With `weights_only=True`, `torch.load` only rebuilds tensors,
    primitive types and containers, which is all a well-made checkpoint holds.

    The target version comes from `target-torch-version`, else from the lower
    bound of `torch` in the project's dependencies, else 2.0.

    ## Example
    ```python
    import torch

    state = torch.load("checkpoint.pt", map_location="cpu")
    ```

    Use instead:
    ```python
    import torch

    state = torch.load("checkpoint.pt", map_location="cpu", weights_only=True)
    ```

    ## Fix safety
    The fix adds `weights_only=True`. It is unsafe: a checkpoint that holds
    other objects (an `argparse.Namespace`, numpy scalars, custom classes)
    stops loading, and the load site must then change what it saves or
    allow-list those globals. An explicit `weights_only=False` is reported
    without a fix, since only its author knows whether the file is trusted.
    Calls with `**kwargs` or a custom `pickle_module=` are not flagged.
    """

    code = "CKPT202"
    name = "load-without-weights-only"
    message = "`torch.load` without `weights_only=True` can run code from the file"
    explicit_false_message = "`torch.load` with `weights_only=False` can run code from the file"
    fix_title = "Pass `weights_only=True`"
    fix_availability = FixAvailability.SOMETIMES
    fix_class = "unsafe"
    calls = ("torch.load",)
    requires = (TORCH, LOADS)

    VALID = [
        Valid(
            """
            import torch
            sd = torch.load("ckpt.pt", map_location="cpu", weights_only=True)
            """
        ),
        Valid(
            """
            import io
            import torch

            def receive_state(payload):
                with io.BytesIO(payload) as buffer:
                    return torch.load(buffer)  # an object moved between processes, not a file
            """
        ),
        Valid(
            """
            import torch
            import torch.distributed as dist

            def receive(rank):
                objects = [None]
                dist.broadcast_object_list(objects, src=0)
                return torch.load(objects[0], map_location="cpu")  # what rank 0 sent
            """
        ),
        Valid(
            """
            import torch
            sd = torch.load("ckpt.pt", map_location="cpu")  # torch >= 2.6 defaults to True
            """,
            settings={"target-torch-version": "2.6"},
        ),
        Valid(
            """
            import dill
            import torch
            sd = torch.load("ckpt.pt", pickle_module=dill)
            """
        ),
        Valid(
            """
            import torch
            def restore(path, **kwargs):
                return torch.load(path, **kwargs)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch.serialization
            sd = torch.serialization.load("ckpt.pt", map_location="cpu")
            """,
            fixed="""
            import torch.serialization
            sd = torch.serialization.load("ckpt.pt", map_location="cpu", weights_only=True)
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            import torch
            sd = torch.load("ckpt.pt", map_location="cpu", weights_only=False)
            """,
            settings={"target-torch-version": "2.8"},
        ),
    ]

    def check_call(self, call: CallSite, ctx: Context) -> None:
        if call.arguments.has_star_kwargs or call.may_supply("pickle_module"):
            return
        if not ctx.model.resume.is_checkpoint_load(call.node):
            return  # an object moved between processes keeps its devices and types
        given = call.arg("weights_only")
        if given is not None:
            if isinstance(given.value, cst.Name) and given.value.value == "False":
                ctx.report(call.node, message=self.explicit_false_message)
            return
        if ctx.project.target_torch_version >= SAFE_DEFAULT_SINCE:
            return
        ctx.report(call.node, fix=partial(self._fix, ctx, call.node))

    def _fix(self, ctx: Context, call: cst.Call) -> Fix:
        edit = builders.add_keyword_argument(ctx.model, call, "weights_only", builders.true_literal())
        return ctx.fix([edit], Applicability.UNSAFE)
