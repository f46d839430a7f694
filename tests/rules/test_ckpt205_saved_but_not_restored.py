"""CKPT205 saved-but-not-restored: what a resume of the same path never reads."""

from __future__ import annotations

from support import lint

from ckptlint.rules.loading.ckpt205_saved_but_not_restored import SavedButNotRestored

RULES = [SavedButNotRestored]

TEMPLATE = """
import os
import torch
optimizer = torch.optim.AdamW(model.parameters())
scaler = torch.amp.GradScaler("cuda")
if {flag}:
    ckpt = torch.load({load_path}, map_location="cpu")
    model.load_state_dict(ckpt["model"])
    {extra}
torch.save({{"model": model.state_dict(), "optimizer": optimizer.state_dict(), "scaler": scaler.state_dict(), "rng": torch.get_rng_state()}}, {save_path})
"""


def run(flag="args.resume", load_path="args.ckpt", save_path="args.ckpt", extra="pass"):  # type: ignore[no-untyped-def]
    return lint(TEMPLATE.format(flag=flag, load_path=load_path, save_path=save_path, extra=extra), rules=RULES)


def test_missing_parts_are_listed_at_the_load() -> None:
    (found,) = run()
    assert found.code == "CKPT205" and found.span.line == 6
    assert '"optimizer", "scaler", "rng"' in found.message


def test_exists_check_is_a_resume_flag() -> None:
    assert [d.code for d in run(flag="os.path.exists(args.ckpt)")] == ["CKPT205"]


def test_everything_read_is_silent() -> None:
    extra = 'optimizer.load_state_dict(ckpt["optimizer"]); scaler.load_state_dict(ckpt["scaler"]); torch.set_rng_state(ckpt["rng"])'
    assert run(extra=extra) == []


def test_other_path_or_finetune_flag_is_silent() -> None:
    assert run(load_path="args.pretrained_path") == []
    assert run(flag="args.finetune") == []


def test_object_passed_on_whole_is_silent() -> None:
    assert run(extra="restore_everything(ckpt)") == []
