"""The checkpoint facets of the semantic model: bindings, kinds, saves, contents, distributed."""

from __future__ import annotations

from typing import List, Optional

import libcst as cst
import pytest
from support import build_model, dedent

from ckptlint.config.settings import ProjectSettings
from ckptlint.semantic.facts.kinds import MIXED_WRAP, Kind, ObjectKind
from ckptlint.semantic.model import SemanticModel


def build(code: str) -> SemanticModel:
    return build_model(code)


def saved_kinds(code: str, project: Optional[ProjectSettings] = None) -> List[Optional[ObjectKind]]:
    model = build_model(code, project)
    return [model.kinds.of(s.obj) for s in model.saves.sites]


DDP = ObjectKind(Kind.MODEL, "ddp")
MODEL = ObjectKind(Kind.MODEL)


# -- bindings: statement order and the one ambiguity policy --------------------


def test_statement_order_sees_the_wrap() -> None:
    assert saved_kinds(
        """
        import torch
        from torch.nn.parallel import DistributedDataParallel as DDP
        from torch import nn
        def main():
            model = nn.Linear(2, 2)
            torch.save(model, "a.pt")
            model = DDP(model)
            torch.save(model, "b.pt")
        """
    ) == [MODEL, DDP]


def test_branches_that_wrap_differently_agree_on_a_model_of_unknown_wrap() -> None:
    # Every branch gives a model (catalog "Names": the same kind), but the keys' prefix is not one
    # prefix: a rule that needs the wrap (107, 101's fix) finds none.
    assert saved_kinds(
        """
        import torch
        from torch import nn
        def main(flag):
            model = nn.Linear(2, 2)
            if flag:
                model = torch.compile(model)
            torch.save(model, "a.pt")
        """
    ) == [ObjectKind(Kind.MODEL, MIXED_WRAP)]


def test_branch_dependent_binding_is_ambiguous() -> None:
    assert saved_kinds(
        """
        import torch
        from torch import nn
        def main(flag, build):
            model = build()
            if flag:
                model = nn.Linear(2, 2)
            torch.save(model, "a.pt")
        """
    ) == [None]


def test_binding_inside_the_branch_of_the_use_counts() -> None:
    assert saved_kinds(
        """
        import torch
        from torch import nn
        def main(flag):
            if flag:
                model = nn.Linear(2, 2)
                torch.save(model, "a.pt")
        """
    ) == [MODEL]


def test_the_binding_state_of_a_name_at_a_use_is_worked_out_once(monkeypatch) -> None:
    """The checkpoint facts ask, for every local at each save, whether some path leaves it unbound
    and then which binding reaches the save: the walk through the function is made once."""
    from ckptlint.semantic.core.bindings import Bindings

    walks = []
    original = Bindings._state_at
    monkeypatch.setattr(Bindings, "_state_at", lambda self, name, at: walks.append((name, id(at))) or original(self, name, at))
    model = build(
        """
        import torch
        from torch import nn
        def main(flag):
            model = nn.Linear(2, 2)
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
            if flag:
                model = torch.compile(model)
            torch.save({"model": model.state_dict()}, "a.pt")
        """
    )
    save = model.saves.sites[0]
    assert [obj.text for obj in model.checkpoints.missing(save, Kind.OPTIMIZER)] == ["optimizer"]
    assert model.bindings.maybe_unbound("optimizer", save.call) is False
    assert model.bindings.reaching("optimizer", save.call) is not None
    assert walks and len(walks) == len(set(walks))


def test_assignment_later_in_a_loop_makes_the_use_ambiguous() -> None:
    assert saved_kinds(
        """
        import torch
        from torch import nn
        model = nn.Linear(2, 2)
        for epoch in range(3):
            torch.save(model, "a.pt")
            model = make()
        """
    ) == [None]


def test_global_used_in_function_and_with_binding() -> None:
    assert saved_kinds(
        """
        import torch
        import torchvision
        net = torchvision.models.resnet18()
        def save():
            torch.save(net, "a.pt")
        """
    ) == [MODEL]


def test_self_attributes_count_for_every_method_and_none_is_ignored() -> None:
    model = build(
        """
        import torch
        class Trainer:
            def __init__(self):
                self.optimizer = None
            def setup(self, params):
                self.optimizer = torch.optim.Adam(params)
            def save(self):
                torch.save(self.optimizer, "o.pt")
        """
    )
    assert [model.kinds.of(s.obj) for s in model.saves.sites] == [ObjectKind(Kind.OPTIMIZER)]


# -- kinds ---------------------------------------------------------------------


def test_local_subclass_through_another_local_class_and_to() -> None:
    assert saved_kinds(
        """
        import torch as th
        import torch.nn as nn
        class Base(nn.Module):
            pass
        class Net(Base):
            pass
        model = Net().to("cuda").half()
        th.save(model, "m.pt")
        """
    ) == [MODEL]


def test_project_model_classes_extend_the_list() -> None:
    code = """
        import torch
        from mylib import Backbone
        m = Backbone()
        torch.save(m, "m.pt")
        """
    assert saved_kinds(code) == [None]
    assert saved_kinds(code, ProjectSettings(model_classes=("mylib.Backbone",))) == [MODEL]


def test_optimizer_scheduler_scaler_names() -> None:
    model = build(
        """
        import torch
        from torch.optim import lr_scheduler
        from transformers import get_linear_schedule_with_warmup
        import bitsandbytes as bnb
        from mylib import LambOptimizer
        a = bnb.optim.AdamW8bit(p)
        b = LambOptimizer(p)
        c = lr_scheduler.OneCycleLR(a, 1.0)
        d = get_linear_schedule_with_warmup(a, 1, 2)
        e = torch.amp.GradScaler("cuda")
        f = torch.utils.data.DataLoader(ds)
        torch.save([a, b, c, d, e, f], "x.pt")
        """
    )
    elements = model.saves.sites[0].obj.elements  # type: ignore[union-attr]
    kinds = [model.kinds.of(e.value).kind for e in elements]  # type: ignore[union-attr]
    assert kinds == [Kind.OPTIMIZER, Kind.OPTIMIZER, Kind.SCHEDULER, Kind.SCHEDULER, Kind.SCALER, Kind.DATALOADER]


@pytest.mark.parametrize(
    "setup, passed",
    [
        ("scaler = torch.cuda.amp.GradScaler(); scaler.step(b)", [None, Kind.OPTIMIZER]),
        ("scaler = torch.amp.GradScaler(); scaler.unscale_(b)", [None, Kind.OPTIMIZER]),
        ("scaler = make_scaler(); scaler.step(b)", [None, None]),  # not known to be a GradScaler
        ("fabric = L.Fabric(); a, b = fabric.setup(a, b)", [Kind.MODEL, Kind.OPTIMIZER]),
        ("fabric = L.Fabric(); b = fabric.setup_optimizers(b)", [None, Kind.OPTIMIZER]),
        ("accelerator = Accelerator(); a = accelerator.prepare_model(a)", [Kind.MODEL, None]),
        ("accelerator = Accelerator(); a = accelerator.prepare(a)", [None, None]),  # keeps kinds, gives none
    ],
)
def test_framework_methods_that_take_one_kind_give_it_to_their_arguments(setup: str, passed: List[Optional[Kind]]) -> None:
    model = build(
        f"""
        import torch
        import lightning as L
        from accelerate import Accelerator
        from mylib import build, make_optimizer, make_scaler
        a = build()
        b = make_optimizer(a)
        {setup}
        torch.save([a, b], "x.pt")
        """
    )
    elements = model.saves.sites[0].obj.elements  # type: ignore[union-attr]
    found = [model.kinds.of(e.value) for e in elements]  # type: ignore[union-attr]
    assert [k.kind if k is not None else None for k in found] == passed


# -- saves and helpers -----------------------------------------------------------


def test_helper_call_site_is_the_save_with_arguments_bound() -> None:
    model = build(
        """
        import torch
        def save_checkpoint(state, is_best, filename="checkpoint.pth.tar"):
            torch.save(state, filename)
        save_checkpoint({"epoch": 1}, False)
        save_checkpoint(is_best=True, state={"epoch": 2}, filename="x.pt")
        """
    )
    sites = model.saves.sites
    assert [model.code(s.obj) for s in sites] == ['{"epoch": 1}', '{"epoch": 2}']
    assert [model.code(s.path) for s in sites] == ['"checkpoint.pth.tar"', '"x.pt"']
    assert all(s.helper is not None for s in sites)


def test_method_helper_and_save_functions_setting() -> None:
    model = build(
        """
        import torch
        from mylib import write
        class T:
            def _save(self, payload, path):
                torch.save(payload, path)
            def run(self):
                self._save({"a": 1}, "a.pt")
        write({"b": 2}, "b.pt")
        """
    )
    with_setting = build_model(model.text, ProjectSettings(save_functions=("mylib.write",)))
    assert [with_setting.span(s.call).line for s in with_setting.saves.sites] == [7, 8]
    assert [model.span(s.call).line for s in model.saves.sites] == [7]


# -- checkpoint contents ---------------------------------------------------------


def test_built_up_dict_with_update_and_nested_and_spread() -> None:
    model = build(
        """
        import torch
        import torch.nn as nn
        def save(path):
            model = nn.Linear(2, 2)
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            ckpt = {"model": model.state_dict(), **{"seed": 1}}
            ckpt["state"] = {"optimizer": opt.state_dict(), "rng": torch.get_rng_state()}
            ckpt.update(epoch=1)
            ckpt.update({"step": 2})
            torch.save(ckpt, path)
        """
    )
    site = model.saves.sites[0]
    checkpoint = model.checkpoints.of(site)
    assert checkpoint is not None
    assert checkpoint.keys == {"model", "seed", "state", "optimizer", "rng", "epoch", "step"}
    assert checkpoint.is_training and checkpoint.holds_rng and not checkpoint.has_unknown_spread
    assert checkpoint.holds_state_of_kind(Kind.OPTIMIZER) and checkpoint.holds("opt")
    assert checkpoint.variable == "ckpt" and checkpoint.last_assignment is not None


def test_unknown_spread_and_variable_passed_to_a_call() -> None:
    model = build(
        """
        import torch
        def a(extra):
            torch.save({"x": 1, **extra}, "a.pt")
        def b():
            ckpt = {"x": 1}
            add_more(ckpt)
            torch.save(ckpt, "b.pt")
        """
    )
    assert [model.checkpoints.of(s).has_unknown_spread for s in model.saves.sites] == [True, True]  # type: ignore[union-attr]


def test_in_scope_parameters_need_an_annotation() -> None:
    model = build(
        """
        import torch
        from torch.optim import Optimizer
        def a(model, optimizer):
            torch.save({}, "a.pt")
        def b(model, optimizer: Optimizer):
            torch.save({}, "b.pt")
        """
    )
    checkpoints = model.checkpoints
    found = [[o.text for o in checkpoints.in_scope(s, Kind.OPTIMIZER)] for s in model.saves.sites]
    assert found == [[], ["optimizer"]]


# -- distributed -----------------------------------------------------------------


def test_distributed_script_forms() -> None:
    assert not build("import torch\ntorch.save({}, 'a.pt')\n").distributed.is_distributed
    assert build("import torch.distributed as dist\ndist.init_process_group('nccl')\n").distributed.is_distributed
    assert build("import os\nrank = int(os.environ['LOCAL_RANK'])\n").distributed.is_distributed
    assert build("from os import getenv\nrank = getenv('RANK')\n").distributed.is_distributed
    assert build(
        "from torch.utils.data.distributed import DistributedSampler as DS\ns = DS(ds)\n"
    ).distributed.is_distributed
    assert not build("import os\nx = os.environ['WORLD']\n").distributed.is_distributed


def test_a_conditional_expression_that_wraps_in_one_branch_gives_a_model_of_unknown_wrap() -> None:
    model = build(
        """
        import torch
        from torch import nn
        from torch.nn.parallel import DistributedDataParallel as DDP
        def main(distributed):
            model = DDP(nn.Linear(2, 2)) if distributed else nn.Linear(2, 2)
            torch.save(model, "a.pt")
            torch.save(model.module, "b.pt")
        """
    )
    whole, inner = (s.obj for s in model.saves.sites)
    assert model.kinds.of(whole) == ObjectKind(Kind.MODEL, MIXED_WRAP)
    # `.module` of a model that may not be wrapped is nothing known, kept wrap or not
    assert model.kinds.of(inner) is None and model.kinds.of_keeping_wrap(inner) is None
    assert ObjectKind(Kind.MODEL, MIXED_WRAP).unwrap_attribute is None
