"""Notebooks: linted cell by cell (cell:line:col), fixes written back into the cells only."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from support import enter_project

from ckptlint.cli import cli
from ckptlint.engine.session.notebook import join, line_edits, write_back


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
    enter_project(tmp_path, monkeypatch)
    (tmp_path / "train.ipynb").write_text(json.dumps(NOTEBOOK, indent=1) + "\n")
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_findings_are_reported_as_cell_line_col(project) -> None:
    result = run("check", ".", "--output-format", "concise")
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if ": CKPT" in line]
    # cell 4: every cell counts, the markdown one too, as editors and ruff count them
    assert lines == [
        "train.ipynb:cell 4:2:9: CKPT201 [*] `torch.load` without `map_location`",
        "train.ipynb:cell 4:2:9: CKPT202 `torch.load` without `weights_only=True` can run code from the file",
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
        "train.ipynb:cell 4:2:9: CKPT202 `torch.load` without `weights_only=True` can run code from the file"
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
    assert "train.ipynb:cell 4:2:9" in result.output
    assert "broken.ipynb: io-error: not a notebook" in result.output


def test_baseline_survives_a_new_cell_above(project) -> None:
    assert run("check", ".", "--write-baseline", "base.json").exit_code == 0
    document = json.loads((project / "train.ipynb").read_text())
    document["cells"].insert(1, _cell(["seed = 0\n", "\n", "\n"]))
    (project / "train.ipynb").write_text(json.dumps(document, indent=1) + "\n")
    result = run("check", ".", "--baseline", "base.json", "--output-format", "concise")
    assert result.exit_code == 0, result.output


def test_add_noqa_writes_into_the_cell_and_keeps_everything_else(project) -> None:
    result = run("check", ".", "--add-noqa")
    assert result.exit_code == 0, result.output
    after = json.loads((project / "train.ipynb").read_text())
    assert after["cells"][3]["source"][1] == "state = torch.load(  # noqa: CKPT201, CKPT202\n"
    for index in (0, 1, 2):
        assert after["cells"][index] == NOTEBOOK["cells"][index]
    assert run("check", ".").exit_code == 0


# -- one pipeline for every format (#20 item 2) --------------------------------------

CROSS_CELL = {
    "cells": [
        _cell(["# Train\n"], kind="markdown"),
        _cell(["import torch\n"]),
        _cell(["model = build()\n", "for epoch in range(3):\n", "    torch.save(model.state_dict(), f'runs/e{epoch}.pt')\n"]),
        _cell(["state = torch.load('ckpt.pt')\n"]),
    ],
    "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
}


def _apply_json_edits(document, finding):
    """Apply a JSON finding's fix edits to the notebook's cells, each edit to its own cell."""
    cells = {number: "".join(cell["source"]) for number, cell in enumerate(document["cells"], start=1)}
    for edit in sorted(finding["fix"]["edits"], key=lambda e: (e["cell"], e["location"]["row"], e["location"]["column"]), reverse=True):
        lines = cells[edit["cell"]].splitlines(keepends=True) + [""]
        offset = lambda p: sum(len(l) for l in lines[: p["row"] - 1]) + p["column"] - 1  # noqa: E731
        text = cells[edit["cell"]]
        cells[edit["cell"]] = text[: offset(edit["location"])] + edit["content"] + text[offset(edit["end_location"]) :]
    return cells


def test_json_has_the_cell_and_fix_edits_in_the_coordinates_of_their_cells(project) -> None:
    import jsonschema

    from ckptlint.reporters.json_format import SCHEMA

    (project / "train.ipynb").write_text(json.dumps(CROSS_CELL, indent=1) + "\n")
    document = json.loads(run("check", "train.ipynb", "--output-format", "json").stdout)
    jsonschema.validate(document, SCHEMA)
    by_code = {f["code"]: f for f in document["findings"]}
    load, makedirs = by_code["CKPT201"], by_code["CKPT502"]
    assert load["filename"] == str(project / "train.ipynb") and ":cell" not in load["filename"]
    assert (load["cell"], load["location"], load["noqa_row"]) == (4, {"row": 1, "column": 9}, 1)
    assert _apply_json_edits(CROSS_CELL, load)[4] == "state = torch.load('ckpt.pt', map_location='cpu')\n"
    # the finding is in cell 3; its fix adds `import os` to cell 2, after the imports there
    assert makedirs["cell"] == 3 and {e["cell"] for e in makedirs["fix"]["edits"]} == {2, 3}
    fixed = _apply_json_edits(CROSS_CELL, makedirs)
    assert fixed[2] == "import torch\nimport os\n"
    assert "    os.makedirs(" in fixed[3].splitlines()[2]


def test_sarif_regions_and_replacements_are_in_the_cells_they_name(project, tmp_path) -> None:
    (project / "train.ipynb").write_text(json.dumps(CROSS_CELL, indent=1) + "\n")
    document = json.loads(run("check", "train.ipynb", "--output-format", "sarif").stdout)
    (load,) = [r for r in document["runs"][0]["results"] if r["ruleId"] == "CKPT201"]
    assert load["properties"] == {"cell": 4} and load["message"]["text"].startswith("cell 4: ")
    region = load["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (1, 9)
    (replacement,) = load["fixes"][0]["artifactChanges"][0]["replacements"]
    assert replacement["properties"] == {"cell": 4}
    assert replacement["deletedRegion"] == {"startLine": 1, "startColumn": 29, "endLine": 1, "endColumn": 29}


def test_github_annotations_go_on_the_notebook_file_with_the_cell_in_the_message(project) -> None:
    from support import parse_command

    (project / "train.ipynb").write_text(json.dumps(CROSS_CELL, indent=1) + "\n")
    output = CliRunner().invoke(cli, ["check", "train.ipynb", "--output-format", "github"], env={"GITHUB_WORKSPACE": str(project)}).stdout
    commands = [parse_command(line) for line in output.splitlines()]
    load = next(c for c in commands if c and "CKPT201" in c[1]["title"])
    assert load[1]["file"] == "train.ipynb" and "line" not in load[1]  # notebook JSON lines mean nothing
    assert load[2] == "cell 4, line 1, column 9: `torch.load` without `map_location`"


def test_notebooks_go_through_the_prefilter_and_the_cache(project, monkeypatch) -> None:
    from ckptlint.api import lint_paths
    from ckptlint.engine.session import process
    from support import settings

    analysed = []
    real = process.lint_source
    monkeypatch.setattr(process, "lint_source", lambda text, path, *a, **k: analysed.append(path) or real(text, path, *a, **k))
    plain = {"cells": [_cell(["print('hello')\n"])], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (project / "plain.ipynb").write_text(json.dumps(plain))
    config = settings(root=str(project))
    cache = str(project / "cache")
    first = lint_paths([str(project)], config, cache_dir=cache)
    assert analysed == [str(project / "train.ipynb")]  # plain.ipynb cannot matter: never parsed
    second = lint_paths([str(project)], config, cache_dir=cache)
    assert analysed == [str(project / "train.ipynb")]  # served from the cache
    assert [(d.cell, d.span, d.code) for d in first.diagnostics] == [(d.cell, d.span, d.code) for d in second.diagnostics]
    assert {d.cell for d in second.diagnostics} == {4}
