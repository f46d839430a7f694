"""CKPT202 load-without-weights-only: `torch.load` that may unpickle arbitrary code."""

from __future__ import annotations

from functools import partial
from typing import Dict, List, Optional, Tuple

import libcst as cst

from ckptlint.fixes import Applicability, Fix, builders, paired
from ckptlint.rules.base import Context, FixAvailability, Invalid, Rule, Valid
from ckptlint.semantic.core.calls import CallSite
from ckptlint.rules.words import LOADS, TORCH
from ckptlint.semantic.facts.resume import LoadSite
from ckptlint.semantic.facts.saves import SaveSite
from ckptlint.semantic.facts.weights_only import Unreadable
from ckptlint.semantic.model import SemanticModel

# From torch 2.6 on, `weights_only` defaults to True.
SAFE_DEFAULT_SINCE = (2, 6)
# What to store instead of a value `weights_only=True` refuses: the advice `ckptlint inspect`
# gives for such a file (`inspection/layouts.py: UNSAFE_GLOBAL_ADVICE`; a test keeps them equal).
ADVICE = {
    "argparse.Namespace": "store vars(args), a plain dict",
    "pathlib.PosixPath": "store str(path)",
    "torch.torch_version.TorchVersion": "store str(torch.__version__)",
    "a numpy value": "store tensors or float(x) / int(x), not numpy values",
}


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
    allow-list those globals. There is no fix where the module shows that
    this would happen: the same program saves into that file a value
    `weights_only=True` refuses (the message names the key and the value,
    as `ckptlint inspect` names the class for the file), or the load uses
    what it loads as a model (`ckpt["model"].eval()`), or the load sits in a
    branch that chose how to load (`if not weights_only:`). An explicit
    `weights_only=False` is reported without a fix, since only its author
    knows whether the file is trusted. Calls with `**kwargs` or a custom
    `pickle_module=` are not flagged, nor are loads from an in-memory buffer
    (`io.BytesIO`).
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
    _loads_of: "Optional[Tuple[SemanticModel, Dict[int, LoadSite]]]" = None  # `_loads`
    _readers: "Optional[Tuple[SemanticModel, Dict[int, List[SaveSite]]]]" = None  # `_saves_read_by`

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
        Valid(
            """
            import io
            import torch
            def receive(payload):
                return torch.load(io.BytesIO(payload))  # an object sent by another process, not a checkpoint file
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
        Invalid(
            """
            import argparse
            import torch

            args = argparse.ArgumentParser().parse_args()
            if args.resume:
                ckpt = torch.load(args.resume, map_location="cpu")  # no fix: the file holds `args`
                model.load_state_dict(ckpt["model"])
            torch.save({"model": model.state_dict(), "args": args}, "last.pt")
            """,
        ),
        Invalid(
            """
            import torch

            def load_checkpoint(path, weights_only=True):
                if not weights_only:
                    return torch.load(path, map_location="cpu")  # no fix: the caller chose
                return torch.load(path, map_location="cpu", weights_only=True)
            """,
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
        problem = self._unreadable(ctx, call.node)
        if problem is not None:
            ctx.report(call.node, message=f"{self.message} (no fix: {problem})")
            return
        ctx.report(call.node, fix=partial(self._fix, ctx, call.node))

    # The rule asks for every load which load site its call is and which saves write the file it
    # reads: answered from one pass over the loads and one over the saves per model, where a scan
    # per load (`files.saves_of_load`) made the rule quadratic in the loads and saves of a file.
    def _loads(self, model: SemanticModel) -> Dict[int, LoadSite]:
        """``{id(call): its load site}``: the first of `model.resume.loads` with that call."""
        if self._loads_of is None or self._loads_of[0] is not model:
            found: Dict[int, LoadSite] = {}
            for load in model.resume.loads:
                found.setdefault(id(load.call), load)
            self._loads_of = (model, found)
        return self._loads_of[1]

    def _saves_read_by(self, model: SemanticModel) -> Dict[int, List[SaveSite]]:
        """``{id(load): the saves whose file it reads}`` (any reader), in the order of
        `model.saves.sites`: `model.files.saves_of_load` for every load at once."""
        if self._readers is None or self._readers[0] is not model:
            found: Dict[int, List[SaveSite]] = {}
            for save in model.saves.sites:
                for load in model.files.loads_of_checkpoint(save, any_reader=True):
                    saves = found.setdefault(id(load), [])
                    if not saves or saves[-1] is not save:  # a save once, however often it lists the load
                        saves.append(save)
            self._readers = (model, found)
        return self._readers[1]

    def _fix(self, ctx: Context, call: cst.Call) -> Fix:
        edit = builders.add_keyword_argument(ctx.model, call, "weights_only", builders.true_literal())
        return ctx.fix([edit], Applicability.UNSAFE)

    def _unreadable(self, ctx: Context, call: cst.Call) -> Optional[str]:
        """Why `weights_only=True` would break this load, if the module shows it: the code chose
        how to load (`if not weights_only:`), the load uses an object a state dict is not, or the
        program saves into that file a value `weights_only=True` refuses."""
        model = ctx.model
        if model.resume.in_weights_only_branch(call):
            return "the enclosing `if` chose to load this way"
        load = self._loads(model).get(id(call))
        if load is None:
            return None
        use = model.resume.object_use(load)
        if use is not None:
            return ("it uses what it loads as an object (a pickled model or other object), which "
                    "`weights_only=True` refuses: save state dicts and plain values instead")
        saves = self._saves_read_by(model).get(id(load), ())
        for save in saves:
            other = next((o for o in model.files.loads_of_checkpoint(save, any_reader=True) if model.resume.object_use(o)), None)
            if other is not None:
                return (f"the load {paired.where(model, other.call)} of the same file uses what it loads as an "
                        "object, which `weights_only=True` refuses: save state dicts and plain values instead")
            for value in model.checkpoints.unreadable_values(save):
                advice = ADVICE.get(value.refused, "store plain types and tensors only")
                return (f"the save {paired.where(model, save.call)} writes {_written(model, value)}, "
                        f"which `weights_only=True` refuses: {advice}")
        return None


def _written(model: SemanticModel, value: Unreadable) -> str:
    """`"args": args` (argparse.Namespace, from `parser.parse_args()`): the entry, the class
    the unpickler refuses, and what makes it when that is written elsewhere."""
    code = " ".join(model.code(value.value).split())
    shown = code if len(code) <= 40 else None
    if value.key is None:
        entry = f"`{shown or _short(code)}`"
    else:
        entry = f"`{value.key}: {shown}`" if shown else f"`{value.key}`"
    origin = "" if value.culprit is value.value else f", from `{_short(model.code(value.culprit))}`"
    return f"{entry} ({value.refused}{origin})"


def _short(code: str, limit: int = 60) -> str:
    """One line of ``code``, cut to ``limit`` characters."""
    line = " ".join(code.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."
