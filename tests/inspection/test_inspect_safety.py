"""`inspect` never runs code from the file it reads.

The payload is a class whose ``__reduce__`` makes unpickling call
``builtins.exec`` to write a marker file. The control shows that unpickling it
does write the marker; `inspect` must name the global and leave no marker, for
zip files, legacy files and DCP ``.metadata`` alike, and also when torch lacks
the static scanner and the allowlist it exposes (older releases).
"""

from __future__ import annotations

import os
import pickle
import warnings

import pytest
import torch
import torch.distributed.checkpoint as dcp
from inspect_support import finding_names, only_file

from ckptlint.inspection import opening


class WritesMarker:
    """Unpickling this writes ``marker``: the proof that code ran."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return exec, (f"open({self.marker!r}, 'w').write('code ran')",)


class Net(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(2, 2)


def test_the_payload_does_run_when_unpickled(tmp_path):
    marker = tmp_path / "control"
    pickle.loads(pickle.dumps(WritesMarker(str(marker))))
    assert marker.read_text() == "code ran"


@pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "legacy"])
def test_unsafe_global_is_listed_and_never_executed(tmp_path, inspect_json, zip_format):
    marker = tmp_path / "marker"
    torch.save({"model": {"w": torch.ones(2)}, "hook": WritesMarker(str(marker))}, tmp_path / "evil.pt",
               _use_new_zipfile_serialization=zip_format)
    code, document = inspect_json(tmp_path / "evil.pt")
    file = only_file(document)
    assert not marker.exists()
    assert (code, file["status"], file["contents"]) == (1, "problems", None)
    assert "builtins.exec" in file["unsafe_globals"]
    assert finding_names(document) == ["not-weights-only-loadable"]
    assert "builtins.exec" in file["findings"][0]["message"]


@pytest.mark.parametrize("missing", ["scanner", "allowlist"])
def test_never_executed_without_torchs_scanner_or_allowlist(tmp_path, monkeypatch, inspect_json, missing):
    """Feature detection: where torch lacks get_unsafe_globals_in_checkpoint (zip files) or
    does not expose its allowlist (legacy files), the weights_only load itself refuses the
    file, and its message names the global ("GLOBAL exec": torch drops the builtins module)."""
    if missing == "scanner":
        monkeypatch.delattr(torch.serialization, "get_unsafe_globals_in_checkpoint")
    else:
        monkeypatch.setattr(opening, "_weights_only_allowlist", lambda: None)
    marker = tmp_path / "marker"
    torch.save({"hook": WritesMarker(str(marker))}, tmp_path / "evil.pt",
               _use_new_zipfile_serialization=missing == "scanner")
    code, document = inspect_json(tmp_path / "evil.pt")
    assert not marker.exists()
    assert code == 1 and only_file(document)["unsafe_globals"] == ["exec"]


def test_whole_model_pickle_lists_its_classes(tmp_path, inspect_json, run_inspect):
    torch.save(Net(), tmp_path / "model.pt")
    code, document = inspect_json(tmp_path / "model.pt")
    file = only_file(document)
    assert code == 1
    assert f"{__name__}.Net" in file["unsafe_globals"]
    assert "torch.nn.modules.linear.Linear" in file["unsafe_globals"]
    assert [(f["name"], f["code"]) for f in file["findings"]] == [
        ("not-weights-only-loadable", None), ("save-whole-model", "CKPT101")]
    _, text = run_inspect(tmp_path / "model.pt")
    assert f"globals     {__name__}.Net, torch.nn.modules.linear.Linear" in text


def test_advice_for_common_unsafe_values(tmp_path, inspect_json):
    import argparse

    torch.save({"model": {"w": torch.ones(1)}, "args": argparse.Namespace(lr=0.1),
                "version": torch.__version__}, tmp_path / "c.pt")
    _, document = inspect_json(tmp_path / "c.pt")
    message = only_file(document)["findings"][0]["message"]
    assert "store vars(args)" in message and "store str(torch.__version__)" in message


def test_dcp_metadata_is_never_unpickled_unsafely(tmp_path, inspect_json):
    folder = tmp_path / "step-1"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "assuming the intent is to save in a single process"
        dcp.save({"model": {"w": torch.ones(2)}}, checkpoint_id=str(folder))
    marker = tmp_path / "marker"
    (folder / ".metadata").write_bytes(pickle.dumps(WritesMarker(str(marker))))
    code, document = inspect_json(folder)
    assert not marker.exists()
    file = only_file(document)
    assert (code, file["unsafe_globals"], finding_names(document)) == (
        1, ["builtins.exec"], ["not-weights-only-loadable"])
    assert os.path.exists(folder / "__0_0.distcp")
