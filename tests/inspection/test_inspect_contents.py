"""What `inspect` reports for readable checkpoints, and which of them are problems."""

from __future__ import annotations

import pytest
import torch
from inspect_support import finding_names, make_model, only_file, trained

import ckptlint.runtime as rt


def test_save_checkpoint_file_is_clean(tmp_path, model, optimizer, inspect_json, run_inspect):
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2)
    scaler = torch.amp.GradScaler("cpu")
    path = rt.save_checkpoint(tmp_path / "ckpt.pt", model=model, optimizer=optimizer,
                              scheduler=scheduler, scaler=scaler, epoch=4, step=40)
    assert torch.load(path, map_location="cpu", weights_only=True)["epoch"] == 4

    code, document = inspect_json(path)
    file = only_file(document)
    assert (code, file["status"], file["findings"]) == (0, "ok", [])
    contents = file["contents"]
    assert (contents["layout"], contents["kind"], contents["format"]) == (
        "ckptlint", "training-checkpoint", "ckptlint.checkpoint/2")
    assert contents["torch_version"] == str(torch.__version__)
    (weights,) = contents["weights"]
    assert weights == {"location": "model", "is_model": True, "tensors": 7, "parameters": 33,
                       "bytes": 32 * 4 + 8, "dtypes": {"float32": 6, "int64": 1},
                       "devices": ["cpu"], "prefix": ""}
    assert [s["location"] for s in contents["optimizers"] + contents["schedulers"] + contents["scalers"]] \
        == ["optimizer", "scheduler", "scaler"]
    assert "state for 4 parameters" in contents["optimizers"][0]["summary"]
    (rng,) = contents["rng"]
    assert {"torch", "python"} <= set(rng["sources"]) and rng["ranks"] == 1
    assert contents["counters"] == {"epoch": 4, "step": 40}

    code, text = run_inspect(path)
    assert code == 0 and text.splitlines()[0] == f"{path}: ok"
    assert "training checkpoint (model weights + optimizer state)" in text


def test_checkpoint_manager_files_and_pointer(tmp_path, model, optimizer, inspect_json):
    manager = rt.CheckpointManager(tmp_path / "run", keep_last=2)
    manager.save(model=model, optimizer=optimizer, epoch=0)
    saved = manager.save(model=model, optimizer=optimizer, epoch=1)

    code, document = inspect_json(tmp_path / "run")  # a folder stands for its checkpoints
    by_name = {f["path"].rsplit("/", 1)[-1]: f for f in document["files"]}
    assert code == 0, document
    assert {"latest.pt", "epoch=000000.pt", "epoch=000001.pt"} <= set(by_name)
    pointer = by_name["latest.pt"]["contents"]
    assert (pointer["kind"], pointer["format"]) == ("pointer", "ckptlint.pointer/1")
    assert pointer["pointer"] == {"target": "epoch=000001.pt", "target_exists": True, "epoch": 1, "step": None}
    assert saved.endswith("epoch=000001.pt")


def test_pointer_to_a_deleted_checkpoint_dangles(tmp_path, model, optimizer, inspect_json):
    manager = rt.CheckpointManager(tmp_path, keep_last=2)
    (tmp_path / manager.save(model=model, optimizer=optimizer, epoch=0)).unlink()
    code, document = inspect_json(tmp_path / "latest.pt")
    assert code == 1 and finding_names(document) == ["dangling-pointer"]


def test_training_checkpoint_without_rng_or_counter(tmp_path, model, optimizer, inspect_json):
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, tmp_path / "c.pt")
    code, document = inspect_json(tmp_path / "c.pt")
    assert code == 1
    codes = {f["name"]: f["code"] for f in only_file(document)["findings"]}
    assert codes == {"missing-rng-state": "CKPT104", "missing-progress-counter": "CKPT106"}


def test_weights_only_file_is_not_resumable_unless_allowed(tmp_path, model, inspect_json, run_inspect):
    torch.save(model.state_dict(), tmp_path / "weights.pt")
    code, document = inspect_json(tmp_path / "weights.pt")
    file = only_file(document)
    assert (code, file["contents"]["layout"], file["contents"]["kind"]) == (1, "bare-state-dict", "weights-only")
    assert [(f["name"], f["code"]) for f in file["findings"]] == [("missing-optimizer-state", "CKPT102")]

    code, text = run_inspect("--allow-weights-only", tmp_path / "weights.pt")
    assert code == 0 and "model weights only (not resumable)" in text


def test_ddp_and_compile_prefixes(tmp_path, model, optimizer, inspect_json):
    wrapped = torch.nn.DataParallel(model).state_dict()
    torch.save({"model": wrapped, "optimizer": optimizer.state_dict(), "epoch": 1, "rng": torch.get_rng_state()},
               tmp_path / "ddp.pt")
    torch.save({f"module._orig_mod.{k}": v for k, v in model.state_dict().items()}, tmp_path / "both.pt")
    code, document = inspect_json("--allow-weights-only", tmp_path / "ddp.pt", tmp_path / "both.pt")
    assert code == 1
    assert [finding_names(document, i) for i in (0, 1)] == [["ddp-prefixed-state-dict"]] * 2
    prefixes = [f["contents"]["weights"][0]["prefix"] for f in document["files"]]
    assert prefixes == ["module.", "module._orig_mod."]
    assert document["files"][0]["findings"][0]["code"] == "CKPT107"


@pytest.mark.parametrize("cuda_state, expected, names", [
    (lambda: torch.get_rng_state()[:16], "current-device-only", ["cuda-rng-current-device-only"]),
    (lambda: [torch.get_rng_state()[:16]] * 2, "every-device", []),
])
def test_cuda_rng_coverage(tmp_path, model, optimizer, inspect_json, cuda_state, expected, names):
    """A single torch.cuda.get_rng_state() ByteTensor vs get_rng_state_all()'s list (stand-ins:
    no GPU here; the stored types are the same ByteTensors)."""
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 2,
                "rng_state": torch.get_rng_state(), "cuda_rng_state": cuda_state()}, tmp_path / "c.pt")
    code, document = inspect_json(tmp_path / "c.pt")
    (rng, cuda) = only_file(document)["contents"]["rng"]
    assert (rng["sources"], cuda["sources"], cuda["cuda"]) == (["torch"], ["cuda"], expected)
    assert finding_names(document) == names and code == (1 if names else 0)


def test_nested_rng_dict_and_other_keys(tmp_path, model, optimizer, inspect_json):
    import random

    torch.save({"net": model.state_dict(), "optim": optimizer.state_dict(), "global_step": 7,
                "rng": {"python": random.getstate(), "torch": torch.get_rng_state(), "cuda": [],
                        "numpy": {"keys": torch.zeros(624, dtype=torch.int64), "pos": 624}},
                "args": {"lr": 0.1}, "torch_version": "2.13.0"}, tmp_path / "c.pt")
    code, document = inspect_json(tmp_path / "c.pt")
    contents = only_file(document)["contents"]
    assert code == 0
    assert contents["rng"] == [{"location": "rng", "sources": ["numpy", "python", "torch"], "cuda": "none",
                                "ranks": None}]
    assert (contents["counters"], contents["other_keys"], contents["torch_version"]) == (
        {"global_step": 7}, ["args"], "2.13.0")


def test_saved_device_is_reported_without_a_gpu(tmp_path, model, monkeypatch, inspect_json):
    """A CUDA checkpoint opens on a CPU-only machine, and says where it was saved from.
    (No GPU here: torch.save's location tag is forced to "cuda:1".)"""
    state = model.state_dict()
    monkeypatch.setattr(torch.serialization, "location_tag", lambda storage: "cuda:1")
    torch.save(state, tmp_path / "gpu.pt")
    monkeypatch.undo()
    with pytest.raises(RuntimeError, match="CUDA"):  # what a plain load does on this machine
        torch.load(tmp_path / "gpu.pt", weights_only=True)
    code, document = inspect_json("--allow-weights-only", tmp_path / "gpu.pt")
    assert code == 0 and only_file(document)["contents"]["weights"][0]["devices"] == ["cuda:1"]


def test_legacy_format_is_reported_and_read(tmp_path, model, inspect_json):
    torch.save({"model": model.state_dict(), "epoch": 3}, tmp_path / "old.pt",
               _use_new_zipfile_serialization=False)
    code, document = inspect_json(tmp_path / "old.pt")
    file = only_file(document)
    assert (file["container"], file["contents"]["kind"], file["contents"]["counters"]) == (
        "legacy", "weights-only", {"epoch": 3})
    assert file["contents"]["weights"][0]["tensors"] == 7 and code == 1


def test_tied_weights_count_once(tmp_path, inspect_json):
    embedding, head = torch.nn.Embedding(10, 4), torch.nn.Linear(4, 10, bias=False)
    head.weight = embedding.weight
    torch.save({"wte.weight": embedding.weight, "lm_head.weight": head.weight}, tmp_path / "tied.pt")
    _, document = inspect_json(tmp_path / "tied.pt")
    weights = only_file(document)["contents"]["weights"][0]
    assert (weights["tensors"], weights["parameters"], weights["bytes"]) == (2, 40, 160)


def test_optimizer_only_file_has_no_model_weights(tmp_path, inspect_json):
    model = make_model()
    optimizer = trained(model, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    torch.save(optimizer.state_dict(), tmp_path / "optimizer.bin")
    code, document = inspect_json(tmp_path / "optimizer.bin")
    assert code == 1 and finding_names(document) == ["no-model-weights"]


@pytest.mark.filterwarnings("ignore::UserWarning")  # torch: quantized tensors and TypedStorage are deprecated
def test_sparse_and_quantized_tensors_are_counted(tmp_path, inspect_json):
    """Layouts without one plain storage (sparse) must not break the count."""
    torch.save({"sparse": torch.eye(3).to_sparse(),
                "quantized": torch.quantize_per_tensor(torch.ones(4), 0.1, 0, torch.quint8)}, tmp_path / "odd.pt")
    code, document = inspect_json("--allow-weights-only", tmp_path / "odd.pt")
    weights = only_file(document)["contents"]["weights"][0]
    assert code == 0 and (weights["tensors"], weights["dtypes"]) == (2, {"float32": 1, "quint8": 1})
