"""CKPT201 load-without-map-location: `torch.load` that restores tensors to their saved device."""

from __future__ import annotations

from functools import partial

import libcst as cst

from ckptlint.fixes import Applicability, Fix, builders
from ckptlint.rules.base import Context, FixAvailability, Invalid, Rule, Valid
from ckptlint.semantic.core.calls import CallSite
from ckptlint.rules.words import LOADS, TORCH


class LoadWithoutMapLocation(Rule):
    """
    ## What it does
    Flags `torch.load(...)` calls that do not pass `map_location`, by keyword
    or by position. A load from an in-memory buffer (`io.BytesIO(...)`, a
    name bound to one, an object received from a broadcast) is no checkpoint
    load: it moves an object between processes, which must keep its devices.

    ## Why is this bad?
    Without `map_location`, every tensor goes back to the device it was saved
    from. A checkpoint written on `cuda:0` then fails to load on a machine
    without a GPU, and in a multi-GPU job every process loads its copy onto
    GPU 0, which can run that device out of memory before training resumes.
    Loading to the CPU and letting `load_state_dict` copy the values into the
    model's own tensors works on any machine.

    ## Example
    ```python
    import torch

    state = torch.load("checkpoint.pt")
    model.load_state_dict(state["model"])
    ```

    Use instead:
    ```python
    import torch

    state = torch.load("checkpoint.pt", map_location="cpu")
    model.load_state_dict(state["model"])
    ```

    ## Fix safety
    The fix adds `map_location="cpu"`. It is safe when the loaded object only
    flows into `load_state_dict` calls, directly or through its keys:
    `load_state_dict` copies the values into tensors that already live on the
    right device. Otherwise it is unsafe: code that uses the loaded tensors
    directly would now get them on the CPU, and so does a value stored in a
    `global` (other code, maybe in other modules, reads it). Calls that pass
    `**kwargs` (or `*args` that may hold `map_location`) are not flagged, nor
    is a load from an in-memory buffer (`io.BytesIO`): it moves objects
    between processes, which must keep their devices.
    """

    code = "CKPT201"
    name = "load-without-map-location"
    message = "`torch.load` without `map_location`"
    fix_title = 'Pass `map_location="cpu"`'
    fix_availability = FixAvailability.ALWAYS
    fix_class = "safe or unsafe"
    calls = ("torch.load",)
    requires = (TORCH, LOADS)

    VALID = [
        Valid(
            """
            import torch
            sd = torch.load("ckpt.pt", map_location="cpu")
            """
        ),
        Valid(
            """
            import torch
            sd = torch.load("ckpt.pt", "cpu")  # positional map_location
            """
        ),
        Valid(
            """
            import torch
            def restore(path, **kwargs):
                return torch.load(path, **kwargs)
            """
        ),
        Valid(
            """
            import pickle
            def load(path):
                return path
            with open("data.pkl", "rb") as f:
                data = pickle.load(f)
            load("ckpt.pt")
            """
        ),
        Valid(
            """
            import io
            import torch

            def receive_state(payload):
                return torch.load(io.BytesIO(payload))  # objects moved between processes keep their devices
            """
        ),
        Valid(
            """
            import io
            import torch
            import torch.distributed as dist

            def broadcast_state(state, rank):
                objects = [None]
                if rank == 0:
                    buffer = io.BytesIO()
                    torch.save(state, buffer)
                    objects[0] = buffer.getvalue()
                dist.broadcast_object_list(objects, src=0)
                return torch.load(io.BytesIO(objects[0]))
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch as th
            model.load_state_dict(th.load("ckpt.pt"))
            """,
            fixed="""
            import torch as th
            model.load_state_dict(th.load("ckpt.pt", map_location="cpu"))
            """,
            applicability=Applicability.SAFE,
        ),
        Invalid(
            """
            from torch import load
            ckpt = load("ckpt.pt")
            model.load_state_dict(ckpt["model"])
            optimizer.load_state_dict(ckpt.get("optimizer"))
            """,
            fixed="""
            from torch import load
            ckpt = load("ckpt.pt", map_location="cpu")
            model.load_state_dict(ckpt["model"])
            optimizer.load_state_dict(ckpt.get("optimizer"))
            """,
            applicability=Applicability.SAFE,
        ),
        Invalid(
            """
            import torch
            ckpt = torch.load("ckpt.pt")
            start_epoch = ckpt["epoch"] + 1
            """,
            fixed="""
            import torch
            ckpt = torch.load("ckpt.pt", map_location="cpu")
            start_epoch = ckpt["epoch"] + 1
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            import torch

            def load(path):
                global STATE  # other code reads it: its uses are not all in view
                STATE = torch.load(path)
            """,
            fixed="""
            import torch

            def load(path):
                global STATE  # other code reads it: its uses are not all in view
                STATE = torch.load(path, map_location="cpu")
            """,
            applicability=Applicability.UNSAFE,
        ),
    ]

    def check_call(self, call: CallSite, ctx: Context) -> None:
        if call.may_supply("map_location"):
            return
        if not ctx.model.resume.is_checkpoint_load(call.node):
            return  # an object moved between processes keeps its devices and types
        ctx.report(call.node, fix=partial(self._fix, ctx, call.node))

    def _fix(self, ctx: Context, call: cst.Call) -> Fix:
        only_restores = ctx.model.flows.only_restores_state(call)
        edit = builders.add_keyword_argument(ctx.model, call, "map_location", builders.string_literal("cpu"))
        applicability = Applicability.SAFE if only_restores else Applicability.UNSAFE
        return ctx.fix([edit], applicability)
