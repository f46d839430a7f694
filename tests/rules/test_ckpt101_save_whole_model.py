"""CKPT101 save-whole-model."""

from __future__ import annotations

from support import codes, fix, lint

from ckptlint.rules.saving.ckpt101_save_whole_model import SaveWholeModel

RULES = [SaveWholeModel]


def test_fires_on_a_local_module_subclass_through_another_local_class() -> None:
    assert codes(
        """
        import torch
        import torch.nn as nn
        class Base(nn.Module):
            pass
        class Net(Base):
            pass
        def main():
            model = Net()
            torch.save(model, "m.pt")
        """,
        rules=RULES,
    ) == ["CKPT101"]


def test_aliased_imports_and_to_device() -> None:
    assert codes(
        """
        import torch as th
        from torch import save
        import torchvision
        net = torchvision.models.resnet18().to("cuda")
        th.save(net, "a.pt")
        save(net.cuda(), "b.pt")
        """,
        rules=RULES,
    ) == ["CKPT101", "CKPT101"]


def test_silent_for_state_dict_unknown_objects_and_plain_dicts() -> None:
    assert codes(
        """
        import torch
        import torch.nn as nn
        model = nn.Linear(2, 2)
        torch.save(model.state_dict(), "a.pt")
        torch.save({"model": model.state_dict()}, "b.pt")
        torch.save(load_something(), "c.pt")
        """,
        rules=RULES,
    ) == []


def test_ddp_wrap_gets_module_state_dict_and_fsdp_gets_no_fix() -> None:
    code = """
        import torch
        from torch.nn.parallel import DistributedDataParallel as DDP
        from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
        from torch import nn
        ddp = DDP(nn.Linear(2, 2))
        fsdp = FSDP(nn.Linear(2, 2))
        torch.save(ddp, "a.pt")
        torch.save(fsdp, "b.pt")
        """
    outcome = fix(code, rules=RULES, unsafe=True)
    assert 'torch.save(ddp.module.state_dict(), "a.pt")' in outcome.text
    assert 'torch.save(fsdp, "b.pt")' in outcome.text
    assert [d.code for d in outcome.outcome.diagnostics] == ["CKPT101"]


def test_fix_is_unsafe_only() -> None:
    code = """
        import torch
        from torch import nn
        m = nn.Linear(2, 2)
        torch.save(m, "m.pt")
        """
    assert fix(code, rules=RULES).applied == 0
    assert fix(code, rules=RULES, unsafe=True).applied == 1


def test_helper_call_site_is_the_save() -> None:
    outcome = fix(
        """
        import torch
        from torch import nn
        def save_checkpoint(obj, path):
            torch.save(obj, path)
        class Trainer:
            def __init__(self):
                self.model = nn.Linear(2, 2)
            def done(self):
                save_checkpoint(self.model, "final.pt")
        """,
        rules=RULES,
        unsafe=True,
    )
    assert 'save_checkpoint(self.model.state_dict(), "final.pt")' in outcome.text


def test_model_classes_setting() -> None:
    code = """
        import torch
        from mylib import Backbone
        torch.save(Backbone(), "m.pt")
        """
    assert codes(code, rules=RULES) == []
    assert codes(code, rules=RULES, table={"model-classes": ["mylib.Backbone"]}) == ["CKPT101"]


def test_a_function_that_gives_its_argument_back_and_branches_that_wrap_differently() -> None:
    code = """
        import torch
        import torch.nn as nn

        def to_device(model, device):
            if device == "cpu":
                return model
            return model.to(device)

        def main(multi_gpu):
            model = to_device(nn.Linear(2, 2), "cuda")
            if multi_gpu:
                model = nn.DataParallel(model)
            torch.save(model, "model.pt")
        """
    [found] = lint(code, rules=RULES)
    assert (found.code, found.span.line, found.fix) == ("CKPT101", 13, None)  # which prefix is unknown: no fix
    # without the wrap (a use that makes it a model), the model comes from what to_device returns
    plain = code.replace("            if multi_gpu:\n                model = nn.DataParallel(model)\n", "")
    assert codes(plain, rules=RULES) == ["CKPT101"]
    # a function that returns something else on some path gives back no argument
    assert codes(plain.replace("return model\n", "return None\n"), rules=RULES) == []
