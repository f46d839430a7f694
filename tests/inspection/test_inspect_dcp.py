"""torch.distributed.checkpoint folders, summarised from ``.metadata`` without loading shards.

``dcp.save`` runs in this one process without a process group (it warns that
it assumes a single-process save). A save by several ranks is simulated where
needed by adding the shard file a second rank would write (``__1_0.distcp``):
the rank count is read from the shard names, and nothing reads that file.
"""

from __future__ import annotations

import shutil
import warnings

import pytest
import torch
import torch.distributed.checkpoint as dcp
from inspect_support import finding_names, only_file


def dcp_save(state, folder) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "assuming the intent is to save in a single process"
        dcp.save(state, checkpoint_id=str(folder))


@pytest.fixture
def training_state(model, optimizer):
    return {"model": model.state_dict(), "optim": optimizer.state_dict(), "epoch": 3}


def test_dcp_folder_is_summarised_from_metadata(tmp_path, training_state, inspect_json, run_inspect):
    folder = tmp_path / "step-3"
    dcp_save({**training_state, "rng": torch.get_rng_state()}, folder)
    code, document = inspect_json(folder)
    file = only_file(document)
    assert (code, file["container"], file["findings"]) == (0, "dcp", [])
    assert file["shards"] == [{"name": "__0_0.distcp", "bytes": (folder / "__0_0.distcp").stat().st_size}]
    contents = file["contents"]
    assert (contents["layout"], contents["kind"]) == ("dcp", "training-checkpoint")
    (weights,) = contents["weights"]
    assert (weights["location"], weights["is_model"], weights["tensors"], weights["parameters"], weights["bytes"]) \
        == ("model", True, 7, 33, 32 * 4 + 8)
    assert weights["dtypes"] == {"float32": 6, "int64": 1} and weights["devices"] == []
    assert [o["location"] for o in contents["optimizers"]] == ["optim"]
    assert contents["counters"] == {"epoch": None}  # the value lives in a shard, which is not read
    assert contents["rng"][0]["sources"] == ["torch"]

    code, text = run_inspect(folder)
    assert "torch.distributed.checkpoint folder" in text and "epoch (value in the shards)" in text


def test_metadata_missing_means_an_unfinished_save(tmp_path, training_state, inspect_json):
    folder = tmp_path / "step-3"
    dcp_save(training_state, folder)
    (folder / ".metadata").unlink()
    code, document = inspect_json(folder)
    file = only_file(document)
    assert (code, file["status"], finding_names(document)) == (2, "unreadable", ["truncated-checkpoint"])
    assert "no .metadata" in file["findings"][0]["message"]
    assert [s["name"] for s in file["shards"]] == ["__0_0.distcp"]


@pytest.mark.parametrize("damage", ["truncate", "delete"])
def test_damaged_shard_is_found_without_reading_it(tmp_path, training_state, inspect_json, damage):
    folder = tmp_path / "step-3"
    dcp_save(training_state, folder)
    shard = folder / "__0_0.distcp"
    if damage == "truncate":
        shard.write_bytes(shard.read_bytes()[:100])
    else:
        shard.unlink()
    code, document = inspect_json(folder)
    assert (code, finding_names(document)) == (2, ["truncated-checkpoint"])
    expected = "truncated (100 of" if damage == "truncate" else "is missing"
    assert expected in only_file(document)["findings"][0]["message"]


@pytest.mark.parametrize("rng_keys, expected", [
    ({"rng": torch.get_rng_state()}, ["missing-rng-state"]),
    ({"rng": {"rank0": torch.get_rng_state(), "rank1": torch.get_rng_state()}}, []),
])
def test_shared_rng_key_loses_ranks(tmp_path, training_state, inspect_json, rng_keys, expected):
    """RUNTIME.md §1.5: DCP keeps one rank's copy of a key every rank saves."""
    folder = tmp_path / "step-3"
    dcp_save({**training_state, **rng_keys}, folder)
    shutil.copy(folder / "__0_0.distcp", folder / "__1_0.distcp")  # the second rank's shard
    code, document = inspect_json(folder)
    assert finding_names(document) == expected and code == (1 if expected else 0)
    if expected:
        assert "shared by 2 ranks" in only_file(document)["findings"][0]["message"]
    else:
        assert only_file(document)["contents"]["rng"][0]["ranks"] == 2


def test_run_folder_with_step_folders_and_pointer(tmp_path, training_state, inspect_json):
    """The sharded layout: a fresh DCP folder per save and a latest.pt pointer naming it."""
    dcp_save({**training_state, "rng": torch.get_rng_state()}, tmp_path / "epoch=000003")
    torch.save({"format": "ckptlint.pointer/1", "file": "epoch=000003", "epoch": 3, "step": None},
               tmp_path / "latest.pt")
    code, document = inspect_json(tmp_path)
    kinds = {f["path"].rsplit("/", 1)[-1]: f["contents"]["kind"] for f in document["files"]}
    assert code == 0 and kinds == {"epoch=000003": "training-checkpoint", "latest.pt": "pointer"}


def test_flat_model_keys_at_the_top_level(tmp_path, model, optimizer, inspect_json):
    """torchtitan flattens the model's keys into the top level of the saved dict."""
    state = {**{f"layers.{k}": v for k, v in model.state_dict().items()}, "optimizer": optimizer.state_dict(),
             "train_state": {"step": torch.tensor(10)}, "rng": {"rank0": torch.get_rng_state()}}
    dcp_save(state, tmp_path / "step-10")
    code, document = inspect_json(tmp_path / "step-10")
    contents = only_file(document)["contents"]
    (weights,) = contents["weights"]
    assert (weights["location"], weights["is_model"], weights["tensors"]) == ("", True, 7)
    assert contents["counters"] == {"train_state.step": None} and code == 0


def test_ckptlint_sharded_layout(tmp_path, model, optimizer, inspect_json, run_inspect):
    """ckptlint.runtime's sharded save: epoch/step/scheduler/scaler inside one bytes entry
    ("ckptlint"), RNG as per-rank bytes entries. Built here with dcp.save, in that shape."""
    info = {"format": "ckptlint.sharded/1", "epoch": 2, "step": 7, "scheduler": None, "scaler": None}
    dcp_save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
              "rng.rank0": b"torch.save bytes of capture_rng_state()", "ckptlint": repr(info).encode()},
             tmp_path / "epoch=000002-step=000000007")
    code, document = inspect_json(tmp_path / "epoch=000002-step=000000007")
    contents = only_file(document)["contents"]
    assert (code, contents["layout"], contents["other_keys"]) == (0, "ckptlint-sharded", [])
    assert contents["counters"] == {"ckptlint.epoch": None, "ckptlint.step": None}
    assert contents["rng"] == [{"location": "rng", "sources": [], "cuda": "unknown", "ranks": 1}]
    _, text = run_inspect(tmp_path / "epoch=000002-step=000000007")
    assert "scheduler   in the `ckptlint` entry if saved (not read)" in text
