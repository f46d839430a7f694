"""Checkpoints written the way popular training scripts write them.

Each dict copies the keys and value types of its source, with small models:
nanoGPT's ``train.py`` (a ``torch.compile``d GPT with tied embeddings, so the
keys carry ``_orig_mod.``), PyTorch's ImageNet example (``DataParallel``, so
``module.``; ``best_acc1`` is a tensor) and Lightning's
``Trainer.save_checkpoint`` (lists of optimizer and scheduler states; no RNG).
"""

from __future__ import annotations

import pytest
import torch
from inspect_support import finding_names, make_model, only_file, trained

nn = torch.nn


class TinyGPT(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.transformer = nn.ModuleDict({"wte": nn.Embedding(50, 8), "h": nn.Linear(8, 8),
                                          "ln_f": nn.LayerNorm(8)})
        self.lm_head = nn.Linear(8, 50, bias=False)
        self.transformer.wte.weight = self.lm_head.weight  # weight tying, as nanoGPT does

    def forward(self, idx):
        hidden = self.transformer.ln_f(self.transformer.h(self.transformer.wte(idx)))
        return self.lm_head(hidden)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.compile's own imports
def test_nanogpt_checkpoint(tmp_path, inspect_json, run_inspect):
    model = TinyGPT()
    optimizer = torch.optim.AdamW(model.parameters(), lr=6e-4, betas=(0.9, 0.95))
    model(torch.randint(0, 50, (2, 4))).sum().backward()
    optimizer.step()
    raw_model = torch.compile(model)  # with compile=True and no DDP, raw_model is the compiled one
    torch.save({"model": raw_model.state_dict(), "optimizer": optimizer.state_dict(),
                "model_args": {"n_layer": 1, "n_head": 1, "n_embd": 8, "block_size": 4, "bias": False,
                               "vocab_size": 50, "dropout": 0.0},
                "iter_num": 2000, "best_val_loss": torch.tensor(1.4697),
                "config": {"out_dir": "out", "eval_interval": 2000, "max_iters": 600000, "compile": True}},
               tmp_path / "ckpt.pt")

    code, document = inspect_json(tmp_path / "ckpt.pt")
    contents = only_file(document)["contents"]
    (weights,) = contents["weights"]
    assert (weights["tensors"], weights["parameters"], weights["prefix"]) == (6, 50 * 8 + 8 * 8 + 8 + 16, "_orig_mod.")
    assert "state for 5 parameters" in contents["optimizers"][0]["summary"]  # tied: one parameter
    assert contents["counters"] == {"iter_num": 2000}
    assert contents["other_keys"] == ["model_args", "best_val_loss", "config"]
    assert code == 1 and finding_names(document) == ["ddp-prefixed-state-dict", "missing-rng-state"]


def test_imagenet_example_checkpoint(tmp_path, inspect_json):
    model = make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.1)
    trained(model, optimizer)
    scheduler.step()
    torch.save({"epoch": 5, "arch": "resnet18", "state_dict": nn.DataParallel(model).state_dict(),
                "best_acc1": torch.tensor(55.2), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict()}, tmp_path / "checkpoint.pth.tar")

    code, document = inspect_json(tmp_path / "checkpoint.pth.tar")
    contents = only_file(document)["contents"]
    assert [(w["location"], w["is_model"], w["prefix"]) for w in contents["weights"]] == [
        ("state_dict", True, "module.")]
    assert contents["schedulers"] == [{"location": "scheduler", "summary": "last_epoch 1, lr 0.1"}]
    assert (contents["counters"], contents["other_keys"]) == ({"epoch": 5}, ["arch", "best_acc1"])
    assert code == 1 and finding_names(document) == ["ddp-prefixed-state-dict", "missing-rng-state"]


def test_lightning_checkpoint(tmp_path, inspect_json, run_inspect):
    model = make_model()
    optimizer = trained(model, torch.optim.Adam(model.parameters(), lr=1e-3))
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10)
    torch.save({"epoch": 3, "global_step": 120, "pytorch-lightning_version": "2.6.6",
                "state_dict": {f"model.{k}": v for k, v in model.state_dict().items()},
                "loops": {"fit_loop": {"epoch_progress": {"total": {"ready": 4, "completed": 3}}}},
                "callbacks": {"ModelCheckpoint{'monitor': 'val_loss'}": {"best_model_score": torch.tensor(0.3)}},
                "optimizer_states": [optimizer.state_dict()], "lr_schedulers": [scheduler.state_dict()],
                "hparams_name": "kwargs", "hyper_parameters": {"lr": 1e-3}}, tmp_path / "epoch=3-step=120.ckpt")

    code, document = inspect_json(tmp_path / "epoch=3-step=120.ckpt")
    contents = only_file(document)["contents"]
    assert [o["location"] for o in contents["optimizers"]] == ["optimizer_states[0]"]
    assert [s["location"] for s in contents["schedulers"]] == ["lr_schedulers[0]"]
    assert contents["counters"] == {"epoch": 3, "global_step": 120}
    assert (contents["versions"], contents["torch_version"]) == ({"pytorch-lightning_version": "2.6.6"}, None)
    assert code == 1 and finding_names(document) == ["missing-rng-state"]  # Lightning stores no RNG

    _, text = run_inspect(tmp_path / "epoch=3-step=120.ckpt")
    assert "versions    pytorch-lightning 2.6.6" in text
    assert "torch       unknown (not recorded in the checkpoint)" in text
