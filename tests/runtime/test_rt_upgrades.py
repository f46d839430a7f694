"""Older checkpoint formats load through registered upgrade steps; newer ones are refused;
the user's key renames apply on load."""

from __future__ import annotations

import struct
import zipfile

import pytest
import torch

import ckptlint.runtime as rt
from ckptlint.runtime.format import CHECKPOINT_VERSION
from ckptlint.runtime.upgrades import registered_steps, rename_model_keys
from old_formats import write_v1


def _trained():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(3, 4)).sum().backward()
    opt.step()
    return model, opt


def _fresh():
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    return model, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


def test_every_older_version_has_an_upgrade_step() -> None:
    assert sorted(registered_steps()) == list(range(1, CHECKPOINT_VERSION))


def test_a_version_1_file_loads_through_the_upgrade_path(tmp_path) -> None:
    model, opt = _trained()
    torch.manual_seed(5)
    write_v1(tmp_path / "v1.pt", model=model, optimizer=opt, epoch=3, step=30, note="old")
    expected_draws = torch.rand(3)
    fresh, fresh_opt = _fresh()
    info = rt.load_checkpoint(tmp_path / "v1.pt", model=fresh, optimizer=fresh_opt)  # verify=True
    assert (info.next_epoch, info.epoch, info.step, info.epoch_complete) == (4, 3, 30, True)
    assert info.extra == {"note": "old"} and info.meta["upgraded_from"] == "ckptlint.checkpoint/1"
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                                   fresh.state_dict().values()))
    assert torch.equal(fresh_opt.state_dict()["state"][0]["momentum_buffer"],
                       opt.state_dict()["state"][0]["momentum_buffer"])
    assert torch.equal(torch.rand(3), expected_draws)  # RNG restored from the old layout
    mgr = rt.CheckpointManager(tmp_path)
    write_v1(tmp_path / "epoch=000003.pt", model=model, epoch=3)
    assert mgr.resume(model=_fresh()[0]).next_epoch == 4


def test_a_version_1_file_is_verified_by_its_zip_crcs(tmp_path) -> None:
    model, _ = _trained()
    write_v1(tmp_path / "v1.pt", model=model, epoch=0)
    with zipfile.ZipFile(tmp_path / "v1.pt") as archive:
        info = max((i for i in archive.infolist() if "/data/" in i.filename), key=lambda i: i.file_size)
    with open(tmp_path / "v1.pt", "r+b") as fh:
        fh.seek(info.header_offset + 26)
        name_len, extra_len = struct.unpack("<HH", fh.read(4))
        fh.seek(info.header_offset + 30 + name_len + extra_len + info.file_size // 2)
        block = fh.read(8)
        fh.seek(-8, 1)
        fh.write(bytes(b ^ 0xFF for b in block))  # flipped bits: different whatever they were
    with pytest.raises(rt.CheckpointCorruptError, match=rf"member {info.filename} fails its CRC-32"):
        rt.load_checkpoint(tmp_path / "v1.pt", model=_fresh()[0])
    assert rt.load_checkpoint(tmp_path / "v1.pt", model=_fresh()[0], verify=False).epoch == 0


def test_a_newer_format_is_refused_with_the_versions_this_one_reads(tmp_path) -> None:
    model, _ = _trained()
    rt.save_checkpoint(tmp_path / "c.pt", model=model, epoch=0)
    payload = torch.load(tmp_path / "c.pt", weights_only=True)
    payload["format"] = f"ckptlint.checkpoint/{CHECKPOINT_VERSION + 1}"
    torch.save(payload, tmp_path / "new.pt")
    fresh = _fresh()[0]
    before = [p.clone() for p in fresh.parameters()]
    with pytest.raises(rt.CheckpointFormatError,
                       match=rf"newer ckptlint .* reads formats 1 to {CHECKPOINT_VERSION}\. Upgrade"):
        rt.load_checkpoint(tmp_path / "new.pt", model=fresh)
    assert all(torch.equal(a, b) for a, b in zip(before, fresh.parameters()))  # nothing applied


def test_rename_keys_loads_a_checkpoint_after_a_submodule_was_renamed(tmp_path) -> None:
    old = torch.nn.Module()
    old.encoder = torch.nn.Linear(3, 3)
    old.head = torch.nn.Linear(3, 1)
    write_v1(tmp_path / "old.pt", model=old, epoch=1)
    new = torch.nn.Module()
    new.backbone = torch.nn.Linear(3, 3)
    new.head = torch.nn.Linear(3, 1)
    with pytest.raises(rt.CheckpointMismatchError, match="backbone.weight"):
        rt.load_checkpoint(tmp_path / "old.pt", model=new)
    rt.load_checkpoint(tmp_path / "old.pt", model=new, rename_keys={"encoder.": "backbone."})
    assert torch.equal(new.backbone.weight, old.encoder.weight)
    drop_head = rt.load_checkpoint(tmp_path / "old.pt", model=new, strict=False, rename_keys=lambda k: (
        None if k.startswith("head.") else k.replace("encoder.", "backbone.")))
    assert drop_head.missing_keys == ["head.weight", "head.bias"]


def test_rename_keys_refuses_two_keys_on_one_name() -> None:
    with pytest.raises(ValueError, match="two keys to 'b.w'"):
        rename_model_keys({"a.w": 1, "b.w": 2}, {"a.": "b."})
