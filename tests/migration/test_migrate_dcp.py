"""`ckptlint migrate` on torch.distributed.checkpoint folders: what DCP allows, in one process."""

from __future__ import annotations

import argparse
import json
import os
import warnings

import pytest
import torch

from migrate_support import fresh, outputs, trained

dcp = pytest.importorskip("torch.distributed.checkpoint")
pytestmark = pytest.mark.filterwarnings("ignore:torch.distributed is disabled")


def _save_old_dcp(folder, extra) -> torch.nn.Module:
    from torch.distributed.checkpoint.state_dict import get_state_dict

    model, optimizer = trained()
    model_state, optimizer_state = get_state_dict(model, optimizer)
    state = {"model": {f"module.{k}": v for k, v in model_state.items()},  # saved from DDP
             "optim": optimizer_state, "epoch": 3, "rng_state": torch.get_rng_state(), **extra}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dcp.save(state, checkpoint_id=str(folder), no_dist=True)
    return model


def _load_model(folder) -> torch.nn.Module:
    bare = fresh()
    state = {"model": bare.state_dict()}
    dcp.load(state, checkpoint_id=str(folder), no_dist=True)
    bare.load_state_dict(state["model"])
    return bare


def test_a_dcp_folder_is_rewritten_with_clean_keys_and_values(tmp_path, run_migrate, run_inspect) -> None:
    model = _save_old_dcp(tmp_path / "step-100", {"args": argparse.Namespace(lr=0.1)})
    code, out = run_inspect("--format", "json", tmp_path / "step-100")
    assert [f["name"] for f in json.loads(out)["files"][0]["findings"]] == ["ddp-prefixed-state-dict"]

    code, out = run_migrate(tmp_path / "step-100", "--out", tmp_path / "new")
    assert code == 0, out
    assert "`model`: removed the `module.` prefix from every key" in out
    assert "argparse.Namespace -> dict: 1 value (`args`)" in out
    assert run_inspect(tmp_path / "new" / "step-100")[0] == 0
    assert torch.equal(outputs(_load_model(tmp_path / "new" / "step-100")), outputs(model))
    from torch.distributed.checkpoint.state_dict_loader import _load_state_dict_from_keys
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        args = _load_state_dict_from_keys({"args"}, checkpoint_id=str(tmp_path / "new" / "step-100"))
    assert args["args"] == {"lr": 0.1}


def test_in_place_keeps_the_original_folder_aside(tmp_path, run_migrate) -> None:
    _save_old_dcp(tmp_path / "ckpt", {})
    code, out = run_migrate(tmp_path / "ckpt", "--in-place")
    assert code == 0 and os.path.isfile(tmp_path / "ckpt.bak" / ".metadata"), out
    assert sorted(os.listdir(tmp_path)) == ["ckpt", "ckpt.bak"]  # no staging folder left
    _load_model(tmp_path / "ckpt")  # strict load: no prefix left
    code, out = run_migrate(tmp_path / "ckpt", "--in-place")
    assert code == 0 and "unchanged" in out


class Custom:
    pass


def test_an_entry_that_needs_code_needs_trust(tmp_path, run_migrate) -> None:
    _save_old_dcp(tmp_path / "ckpt", {"thing": Custom()})
    code, out = run_migrate(tmp_path / "ckpt", "--out", tmp_path / "new")
    assert code == 1 and "needs --trust" in out and "entry thing" in out, out
    assert not (tmp_path / "new").exists()


def test_an_unfinished_folder_is_unreadable(tmp_path, run_migrate) -> None:
    _save_old_dcp(tmp_path / "ckpt", {})
    os.remove(tmp_path / "ckpt" / ".metadata")
    code, out = run_migrate(tmp_path / "ckpt", "--in-place")
    assert code == 2 and "unfinished torch.distributed.checkpoint save" in out, out
