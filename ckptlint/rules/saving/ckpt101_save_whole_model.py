"""CKPT101 save-whole-model: `torch.save` of a model object instead of its `state_dict()`."""

from __future__ import annotations

import libcst as cst

from ckptlint.fixes import Applicability, builders, paired
from ckptlint.rules.base import Context, FixAvailability, Invalid, Rule, Valid
from ckptlint.rules.words import SAVES, TORCH
from ckptlint.semantic.facts.kinds import MIXED_WRAP, Kind
from ckptlint.semantic.facts.saves import SaveSite


# The other modules of a project in which the multi-module examples are `train.py`.
_PROJECT = {
    "model.py": """
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 2)
    """,
    "utils.py": """
        import torch

        def save_checkpoint(obj, path):
            torch.save(obj, path)

        def to_device(model, device):
            return model.to(device)  # gives back what it is given
    """,
}


class SaveWholeModel(Rule):
    """
    ## What it does
    Flags a save whose object is a model itself: a name bound to an instance
    of an `nn.Module` subclass (the file's own or a well-known one), a
    `DistributedDataParallel` / `DataParallel` / `torch.compile` wrap, or
    `.to(...)` / `.cuda()` of one.

    ## Why is this bad?
    Saving the module pickles the object, which refers to its class by
    import path. The checkpoint then loads only where that exact class can be
    imported from the same module, it breaks when the code is refactored, and
    loading it needs `weights_only=False`, which can run arbitrary code. A
    saved wrapper also carries the wrapper (and its process group) with it.
    `state_dict()` holds only tensors and loads anywhere.

    ## Example
    ```python
    import torch
    import torch.nn as nn

    model = nn.Linear(4, 2)
    torch.save(model, "model.pt")
    ```

    Use instead:
    ```python
    import torch
    import torch.nn as nn

    model = nn.Linear(4, 2)
    torch.save(model.state_dict(), "model.pt")
    ```

    ## Fix safety
    Unsafe: the file then holds a state dict, not a model, so the code that
    loads it must build the model and call `load_state_dict`. Where this
    module loads that file itself, the load uses what it loads as a model:
    there is no fix, and the message names the load to change first. For a DDP or
    DataParallel wrap the fix saves `model.module.state_dict()` (and
    `model._orig_mod.state_dict()` for `torch.compile`) so the keys carry no
    wrapper prefix. An FSDP-wrapped model gets no fix: how to gather its
    state is CKPT305's business. Nor does a model that some branches wrap and
    others do not (or wrap differently): which prefix its keys carry is not
    known.
    """

    code = "CKPT101"
    requires = (TORCH, SAVES)
    name = "save-whole-model"
    message = "The whole model is saved instead of its `state_dict()`"
    fix_title = "Save the model's `state_dict()`"
    fix_availability = FixAvailability.SOMETIMES
    fix_class = "unsafe"

    VALID = [
        Valid(
            """
            import torch
            import torch.nn as nn
            model = nn.Linear(4, 2)
            torch.save(model.state_dict(), "model.pt")
            """
        ),
        Valid(
            """
            import torch
            def export(model, path):
                torch.save(model, path)  # an unannotated parameter: unknown
            """
        ),
        Valid(
            """
            import torch
            import torch.nn as nn
            model = nn.Linear(4, 2)
            if compile_it:
                model = torch.compile(model)
            else:
                model = get_model()
            torch.save(model, "m.pt")  # depends on a branch: ambiguous
            """
        ),
        Valid(
            """
            import torch

            def main(args):
                model = get_model(args)  # a model by use: the optimizer takes its parameters
                optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
                torch.save(model.state_dict(), "model.pt")
            """
        ),
        Valid(
            """
            from model import Net
            from utils import save_checkpoint

            model = Net()
            save_checkpoint(model.state_dict(), "/ckpt/model.pt")  # the helper saves what it is given
            """,
            modules=_PROJECT,
        ),
        Valid(
            """
            from model import Net
            from vendor.io import save_checkpoint  # not in the project: unknown, silent

            model = Net()
            save_checkpoint(model, "/ckpt/model.pt")
            """,
            modules=_PROJECT,
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch as th
            from torch.nn.parallel import DistributedDataParallel as DDP
            import torch.nn as nn
            class Head(nn.Module):
                pass
            model = Head().cuda()
            model = DDP(model)
            th.save(model, "model.pt")
            """,
            fixed="""
            import torch as th
            from torch.nn.parallel import DistributedDataParallel as DDP
            import torch.nn as nn
            class Head(nn.Module):
                pass
            model = Head().cuda()
            model = DDP(model)
            th.save(model.module.state_dict(), "model.pt")
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            from torch import save
            import timm
            class Trainer:
                def __init__(self):
                    self.model = timm.create_model("resnet18")
                def export(self, path):
                    save(self.model, path)
            """,
            fixed="""
            from torch import save
            import timm
            class Trainer:
                def __init__(self):
                    self.model = timm.create_model("resnet18")
                def export(self, path):
                    save(self.model.state_dict(), path)
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            import torch
            from torch import nn

            class Net(nn.Module):
                pass

            def build_model(cfg):  # a factory: all its returns are models
                return Net()

            def export(cfg, path):
                model = build_model(cfg)
                torch.save(model, path)
            """,
            fixed="""
            import torch
            from torch import nn

            class Net(nn.Module):
                pass

            def build_model(cfg):  # a factory: all its returns are models
                return Net()

            def export(cfg, path):
                model = build_model(cfg)
                torch.save(model.state_dict(), path)
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            import torch
            from trainer import BaseTrainer

            class Trainer(BaseTrainer):
                def fit(self):
                    model = torch.nn.Linear(4, 2)
                    self.persist(model, "last.pt")  # `persist` of `trainer.py` saves what it is given
            """,
            fixed="""
            import torch
            from trainer import BaseTrainer

            class Trainer(BaseTrainer):
                def fit(self):
                    model = torch.nn.Linear(4, 2)
                    self.persist(model.state_dict(), "last.pt")  # `persist` of `trainer.py` saves what it is given
            """,
            applicability=Applicability.UNSAFE,
            modules={
                "trainer.py": """
                    import torch

                    class BaseTrainer:
                        def persist(self, obj, path):
                            torch.save(obj, path)
                """
            },
        ),
        Invalid(
            """
            import torch
            import torchvision.models as models

            def main(args):
                model = models.__dict__[args.arch]()
                torch.save(model, "model.pt")
            """,
            fixed="""
            import torch
            import torchvision.models as models

            def main(args):
                model = models.__dict__[args.arch]()
                torch.save(model.state_dict(), "model.pt")
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            import torch

            def main(args):
                model = get_model(args)  # a model by use: the optimizer takes its parameters
                optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
                torch.save(model, "model.pt")
            """,
            fixed="""
            import torch

            def main(args):
                model = get_model(args)  # a model by use: the optimizer takes its parameters
                optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
                torch.save(model.state_dict(), "model.pt")
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            import torch
            from torch import nn

            def export(model, path):  # a save helper: its call is the save
                torch.save(model, path)

            model = nn.Linear(4, 2)
            export(model, "model.pt")
            """,
            fixed="""
            import torch
            from torch import nn

            def export(model, path):  # a save helper: its call is the save
                torch.save(model, path)

            model = nn.Linear(4, 2)
            export(model.state_dict(), "model.pt")
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
                torch.save(model, "model.pt")
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
                torch.save(model.module.state_dict(), "model.pt")
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            from model import Net
            from utils import save_checkpoint

            model = Net()  # a model class of the sibling module `model.py`
            save_checkpoint(model, "/ckpt/model.pt")  # `utils.py` passes its object to torch.save
            """,
            modules=_PROJECT,
        ),
        Invalid(
            """
            import torch
            import torch.nn as nn
            from model import Net
            from utils import to_device

            class Trainer:
                def __init__(self, model: Net, device, multi_gpu=False):
                    self.model = to_device(model, device)  # returns its argument: a Net
                    if multi_gpu:
                        self.model = nn.DataParallel(self.model)

                def save(self, path):
                    torch.save(self.model, path)  # a model either way (no fix: which prefix is unknown)
            """,
            modules=_PROJECT,
        ),
        Invalid(
            """
            from mypkg import Net
            from mypkg.io import save_checkpoint

            model = Net()  # re-exported by `mypkg/__init__.py`
            save_checkpoint(model, "/ckpt/model.pt")  # `mypkg/io.py` imports it relatively
            """,
            modules={
                "mypkg/__init__.py": "from .model import Net\n",
                "mypkg/model.py": _PROJECT["model.py"],
                "mypkg/io.py": "from .base import save_checkpoint\n",
                "mypkg/base.py": _PROJECT["utils.py"],
            },
        ),
    ]

    def check_save(self, save: SaveSite, ctx: Context) -> None:
        obj = save.obj
        kind = ctx.model.kinds.of(obj) if obj is not None else None
        if obj is None or kind is None or kind.kind is not Kind.MODEL:
            return
        if kind.wrap == "fsdp" or not isinstance(obj, (cst.Name, cst.Attribute, cst.Call)):
            ctx.report(save.call)
            return
        if kind.wrap == MIXED_WRAP:
            ctx.report(save.call, message=f"{self.message} (no fix: some branches wrap the model, so its keys' prefix is not known)")
            return
        pairing = paired.whole_model_loads(ctx.model, save)
        if not pairing.complete:
            ctx.report(save.call, message=f"{self.message} (no fix: {pairing.problem})")
            return
        receiver: cst.BaseExpression = obj
        if kind.unwrap_attribute is not None:
            receiver = cst.Attribute(value=obj, attr=cst.Name(kind.unwrap_attribute))
        edit = builders.replace_node(ctx.model, obj, builders.method_call(receiver, "state_dict"))
        ctx.report(save.call, fix=ctx.fix([edit], Applicability.UNSAFE))
