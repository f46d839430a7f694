"""`ckptlint migrate` on checkpoints written the old ways: inspect is clean afterwards (or
names only what cannot be repaired), weights_only=True loads them, and a bare model
loads the migrated weights with identical outputs."""

from __future__ import annotations

import json

import pytest
import torch

import ckptlint.runtime as rt
from migrate_support import OLD_WAYS, fresh, outputs, trained
from old_formats import write_v1

# what inspect reports before, and what no rewrite can repair (it stays after)
CASES = {
    "ddp_prefix": (["ddp-prefixed-state-dict"], []),
    "compile_prefix": (["ddp-prefixed-state-dict"], []),
    "namespaces_and_numpy": (["not-weights-only-loadable"], []),
    "torch_objects": (["not-weights-only-loadable"], []),
    "legacy_bare_state_dict": (["missing-optimizer-state"], ["missing-optimizer-state"]),
    "cuda_rng_one_device": (["not-weights-only-loadable"], ["cuda-rng-current-device-only"]),
    "no_rng_no_counter": (["ddp-prefixed-state-dict", "missing-rng-state", "missing-progress-counter"],
                          ["missing-rng-state", "missing-progress-counter"]),
}


def _findings(run_inspect, path) -> tuple[int, list[str]]:
    code, out = run_inspect("--format", "json", path)
    return code, [f["name"] for f in json.loads(out)["files"][0]["findings"]]


def _model_state(payload):
    return payload["model"] if "model" in payload else payload


@pytest.mark.parametrize("case", sorted(CASES))
def test_old_checkpoints_come_out_clean_and_load_into_a_bare_model(tmp_path, case, run_migrate,
                                                                    run_inspect) -> None:
    before, remaining = CASES[case]
    model, optimizer = trained()
    source = tmp_path / f"{case}.pt"
    OLD_WAYS[case](str(source), model, optimizer)
    original = source.read_bytes()
    assert _findings(run_inspect, source)[1] == before

    code, out = run_migrate(source, "--out", tmp_path / "out")
    migrated = tmp_path / "out" / source.name
    inspect_code, after = _findings(run_inspect, migrated)
    assert after == remaining, out
    assert code == inspect_code == (1 if remaining else 0), out
    assert source.read_bytes() == original  # --out never touches the source

    payload = torch.load(migrated, map_location="cpu", weights_only=True)
    assert torch.serialization.get_unsafe_globals_in_checkpoint(str(migrated)) == []
    bare = fresh()
    bare.load_state_dict(_model_state(payload))  # strict: no prefix left, nothing missing
    assert torch.equal(outputs(bare), outputs(model))
    if isinstance(payload, dict) and "optimizer" in payload:
        torch.optim.AdamW(bare.parameters()).load_state_dict(payload["optimizer"])


def test_values_become_builtins_and_tensors_and_the_record_is_kept(tmp_path, run_migrate) -> None:
    model, optimizer = trained()
    OLD_WAYS["namespaces_and_numpy"](str(tmp_path / "c.pt"), model, optimizer)
    code, out = run_migrate(tmp_path / "c.pt", "--in-place", "--no-backup")
    assert code == 0, out
    payload = torch.load(tmp_path / "c.pt", weights_only=True)
    assert payload["args"] == {"lr": 1e-3, "layers": [6, 16, 3]}
    assert payload["cfg"] == {"name": "run1", "out": "/runs/1"}
    assert type(payload["best_acc"]) is float and type(payload["step"]) is int
    assert payload["hist"].dtype == torch.float32 and payload["hist"].tolist() == list(range(10))
    name, keys, *rest = payload["np_rng"]
    assert name == "MT19937" and keys.dtype == torch.uint32 and len(keys) == 624
    record = payload["ckptlint_migration"]
    assert record["format"] == "ckptlint.migrated/1" and record["torch"] == str(torch.__version__)
    assert any("argparse.Namespace -> dict" in change for change in record["changes"])
    assert "torch" in out and "numpy.float64 -> float: 1 value (`best_acc`)" in out


def test_the_numpy_rng_state_still_restores(tmp_path, run_migrate) -> None:
    np = pytest.importorskip("numpy")
    np.random.seed(5)
    state = np.random.get_state()
    expected = np.random.rand(3)
    torch.save({"np_rng": state}, tmp_path / "r.pt")
    run_migrate(tmp_path / "r.pt", "--in-place")
    np.random.set_state(torch.load(tmp_path / "r.pt", weights_only=True)["np_rng"])
    assert (np.random.rand(3) == expected).all()


def test_an_old_ckptlint_checkpoint_is_upgraded_to_the_current_format(tmp_path, run_migrate) -> None:
    model, optimizer = trained()
    write_v1(tmp_path / "epoch=000004.pt", model=model, optimizer=optimizer, epoch=4)
    code, out = run_migrate(tmp_path / "epoch=000004.pt", "--out", tmp_path / "out")
    assert code == 0 and "ckptlint.checkpoint/1 -> ckptlint.checkpoint/2" in out, out
    payload = torch.load(tmp_path / "out" / "epoch=000004.pt", weights_only=True)
    assert payload["format"] == "ckptlint.checkpoint/2" and payload["checksums"]["tensors"]
    bare = fresh()
    info = rt.load_checkpoint(tmp_path / "out" / "epoch=000004.pt", model=bare)  # verified
    assert info.next_epoch == 5 and torch.equal(outputs(bare), outputs(model))
    code, out = run_migrate(tmp_path / "out" / "epoch=000004.pt", "--in-place")
    assert code == 0 and ": unchanged" in out  # the current format needs nothing


def test_a_dangling_pointer_is_left_as_it_is_and_named(tmp_path, run_migrate) -> None:
    pointer = {"format": "ckptlint.pointer/1", "file": "epoch=000009.pt", "epoch": 9}
    torch.save(pointer, tmp_path / "latest.pt")
    code, out = run_migrate(tmp_path / "latest.pt", "--in-place")
    assert code == 1 and "latest.pt: unchanged" in out and "dangling-pointer" in out, out
    assert not (tmp_path / "latest.pt.bak").exists()
