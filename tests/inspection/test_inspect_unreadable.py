"""Files `inspect` cannot read at all: truncated, empty, missing, not checkpoints (exit 2)."""

from __future__ import annotations

import re

import pytest
import torch
from inspect_support import finding_names, only_file


@pytest.fixture(params=[True, False], ids=["zip", "legacy"])
def complete_file(request, tmp_path, model, optimizer):
    path = tmp_path / "full.pt"
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 1,
                "rng": torch.get_rng_state()}, path, _use_new_zipfile_serialization=request.param)
    assert torch.load(path, map_location="cpu", weights_only=True)["epoch"] == 1
    return path


CUTS = [0, 1, 4, 100, 0.25, 0.5, 0.9, -22, -1]  # bytes kept; a float is a fraction, negative from the end


def _cut(data: bytes, keep) -> bytes:
    if isinstance(keep, float):
        keep = int(len(data) * keep)
    return data[:keep] if keep >= 0 else data[:len(data) + keep]


def test_complete_file_reads(complete_file, inspect_json):
    code, document = inspect_json(complete_file)
    assert code == 0, document


@pytest.mark.parametrize("keep", CUTS)
def test_truncated_file_is_named_with_its_size(complete_file, inspect_json, run_inspect, keep):
    cut = complete_file.with_name("cut.pt")
    cut.write_bytes(_cut(complete_file.read_bytes(), keep))
    size = cut.stat().st_size
    code, document = inspect_json(cut)
    file = only_file(document)
    assert (code, file["status"], file["size"]) == (2, "unreadable", size)
    assert finding_names(document) == ["truncated-checkpoint"]
    message = file["findings"][0]["message"]
    assert ("empty (0 bytes)" in message) if size == 0 else (f"({size:,} bytes)" in message)

    code, text = run_inspect(cut)
    assert code == 2 and re.search(r"truncated-checkpoint: (empty|truncated)", text)


def test_not_a_checkpoint(tmp_path, inspect_json):
    (tmp_path / "notes.pt").write_text("just text\n")
    code, document = inspect_json(tmp_path / "notes.pt")
    file = only_file(document)
    assert (code, file["container"], file["findings"]) == (2, "unknown", [])
    assert file["error"].startswith("not a torch.save file")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.jit.script is deprecated
def test_torchscript_archive_is_named(tmp_path, inspect_json):
    torch.jit.script(torch.nn.Linear(2, 2)).save(str(tmp_path / "scripted.pt"))
    code, document = inspect_json(tmp_path / "scripted.pt")
    assert code == 2 and "TorchScript" in only_file(document)["error"]


def test_missing_path_and_empty_folder(tmp_path, inspect_json):
    (tmp_path / "empty_dir").mkdir()
    code, document = inspect_json(tmp_path / "nope.pt", tmp_path / "empty_dir")
    assert code == 2
    assert [(f["container"], f["status"]) for f in document["files"]] == [
        ("missing", "unreadable"), ("directory", "unreadable")]


def test_exit_code_is_the_worst_of_all_paths(tmp_path, model, optimizer, inspect_json):
    import ckptlint.runtime as rt

    good = rt.save_checkpoint(tmp_path / "good.pt", model=model, optimizer=optimizer, epoch=0)
    torch.save(model.state_dict(), tmp_path / "weights.pt")
    (tmp_path / "empty.pt").write_bytes(b"")
    assert inspect_json(good)[0] == 0
    assert inspect_json(good, tmp_path / "weights.pt")[0] == 1
    code, document = inspect_json(good, tmp_path / "weights.pt", tmp_path / "empty.pt")
    assert (code, document["exit_code"]) == (2, 2)
    assert [f["exit_code"] for f in document["files"]] == [0, 1, 2]


def test_an_unforeseen_failure_is_reported_and_the_others_still_are(tmp_path, model, monkeypatch, inspect_json):
    """Bit rot can break torch's reader in ways no list of exceptions foresees."""
    from ckptlint.inspection import inspector

    torch.save(model.state_dict(), tmp_path / "a.pt")
    torch.save(model.state_dict(), tmp_path / "b.pt")

    def fails_on_a(path, allow_weights_only=False):
        if path.endswith("a.pt"):
            raise TypeError("unexpected opcode argument")
        return real(path, allow_weights_only)

    real = inspector.inspect_file
    monkeypatch.setattr(inspector, "inspect_file", fails_on_a)
    code, document = inspect_json("--allow-weights-only", tmp_path / "a.pt", tmp_path / "b.pt")
    assert code == 2
    assert [(f["status"], f["error"]) for f in document["files"]] == [
        ("unreadable", "could not be inspected: TypeError: unexpected opcode argument"), ("ok", None)]
