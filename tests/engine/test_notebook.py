"""Notebooks: linted cell by cell (cell:line:col), fixes written back into the cells only."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ckptlint.cli import cli
from ckptlint.engine.notebook import join, line_edits, write_back


def _cell(source, kind="code", **extra):
    cell = {"cell_type": kind, "metadata": {"tags": ["keep"]}, "source": source}
    if kind == "code":
        cell.update(execution_count=3, outputs=[{"output_type": "stream", "name": "stdout", "text": ["loss 0.1\n"]}])
    cell.update(extra)
    return cell


NOTEBOOK = {
    "cells": [
        _cell(["# Resume training\n"], kind="markdown"),
        _cell(["%matplotlib inline\n", "import torch\n", "!nvidia-smi"]),
        _cell(["%%bash\n", "ls checkpoints/\n"]),
        _cell(["model = build()\n", "state = torch.load(\n", "    'ckpt.pt',\n", ")\n", "model.load_state_dict(state)"]),
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CKPTLINT_OUTPUT_FORMAT", raising=False)
    (tmp_path / "pyproject.toml").write_text("[tool.ckptlint]\n")
    (tmp_path / "train.ipynb").write_text(json.dumps(NOTEBOOK, indent=1) + "\n")
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_findings_are_reported_as_cell_line_col(project) -> None:
    result = run("check", ".", "--output-format", "concise")
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if ": CKPT" in line]
    # cell 4 of the notebook's code cells (the markdown cell is not counted), line 2
    assert lines == [
        "train.ipynb:cell 3:2:9: CKPT201 [*] `torch.load` without `map_location`",
        "train.ipynb:cell 3:2:9: CKPT202 [*] `torch.load` without `weights_only=True` can run code from the file",
    ]


def test_full_output_shows_the_cells_own_lines(project) -> None:
    output = run("check", "train.ipynb", "--output-format", "full", "--select", "CKPT201").output
    assert "2 |     state = torch.load(" not in output
    assert "2 | state = torch.load(\n  |         ^^^^^^^^^^^\n" in output
    assert '+     \'ckpt.pt\',\n' not in output and 'map_location="cpu"' in output


def test_fix_writes_back_into_the_cell_and_keeps_outputs_metadata_and_magics(project) -> None:
    result = run("check", "train.ipynb", "--fix")
    assert result.exit_code == 1  # CKPT202's fix is unsafe: one finding remains
    after = json.loads((project / "train.ipynb").read_text())
    assert after["cells"][3]["source"] == [
        "model = build()\n",
        "state = torch.load(\n",
        "    'ckpt.pt',\n",
        "    map_location='cpu',\n",  # the cell's quotes
        ")\n",
        "model.load_state_dict(state)",
    ]
    for index in (0, 1, 2):
        assert after["cells"][index] == NOTEBOOK["cells"][index]
    for key in ("outputs", "metadata", "execution_count"):
        assert after["cells"][3][key] == NOTEBOOK["cells"][3][key]
    assert after["metadata"] == NOTEBOOK["metadata"]
    again = run("check", "train.ipynb", "--output-format", "concise")
    assert [l for l in again.output.splitlines() if ": CKPT" in l] == [
        "train.ipynb:cell 3:2:9: CKPT202 [*] `torch.load` without `weights_only=True` can run code from the file"
    ]


def test_noqa_in_a_cell_and_unused_ones(project) -> None:
    document = json.loads(json.dumps(NOTEBOOK))
    document["cells"][3]["source"][1] = "state = torch.load(  # noqa: CKPT201, CKPT202, CKPT109\n"
    (project / "train.ipynb").write_text(json.dumps(document, indent=1) + "\n")
    assert run("check", "train.ipynb", "--select", "CKPT0,CKPT2").exit_code == 0


def test_string_source_and_the_original_indent_are_kept(tmp_path) -> None:
    document = {"cells": [_cell("import torch\nx = torch.load('a')")], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    joined = join(document)
    new_text = joined.text.replace("torch.load('a')", "torch.load('a', map_location='cpu')")
    new = write_back(joined, new_text, line_edits(joined.text, new_text))
    assert new["cells"][0]["source"] == "import torch\nx = torch.load('a', map_location='cpu')"


def test_a_fix_that_adds_an_import_goes_into_the_first_cell(tmp_path) -> None:
    document = {
        "cells": [_cell(["import os\n"]), _cell(["x = 1\n"])],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }
    joined = join(document)
    new_text = "import os\nimport torch\nx = 1\n"
    new = write_back(joined, new_text, line_edits(joined.text, new_text))
    assert [c["source"] for c in new["cells"]] == [["import os\n", "import torch\n"], ["x = 1\n"]]


def test_magics_are_masked_with_the_same_length() -> None:
    joined = join(NOTEBOOK)
    assert "%" not in joined.text and "!" not in joined.text
    assert len(joined.cells) == 2  # the %%bash cell is left out
    assert joined.text.splitlines()[0] == "0" + " " * len("matplotlib inline")


def test_directories_pick_up_notebooks_and_bad_json_is_a_file_error(project) -> None:
    (project / "broken.ipynb").write_text("{not json")
    result = run("check", ".", "--output-format", "concise")
    assert "train.ipynb:cell 3:2:9" in result.output
    assert "broken.ipynb: error: not a notebook" in result.output


def test_baseline_survives_a_new_cell_above(project) -> None:
    assert run("check", ".", "--write-baseline", "base.json").exit_code == 0
    document = json.loads((project / "train.ipynb").read_text())
    document["cells"].insert(1, _cell(["seed = 0\n", "\n", "\n"]))
    (project / "train.ipynb").write_text(json.dumps(document, indent=1) + "\n")
    result = run("check", ".", "--baseline", "base.json", "--output-format", "concise")
    assert result.exit_code == 0, result.output


def test_add_noqa_leaves_notebooks_alone(project) -> None:
    before = (project / "train.ipynb").read_text()
    result = run("check", ".", "--add-noqa")
    assert "train.ipynb: notebooks are not supported by --add-noqa; no noqa added" in result.output
    assert (project / "train.ipynb").read_text() == before
