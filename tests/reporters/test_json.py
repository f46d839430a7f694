"""`--output-format json`: a versioned document that validates against its schema,
with absolute filenames, `cell`, `severity`, and files that could not be linted."""

from __future__ import annotations

import json
import os

import jsonschema
import pytest
from click.testing import CliRunner

from support import enter_project

from ckptlint.cli import cli

BAD = "import torch\nsd = torch.load('a.pt')\n"
# `def f(:` on line 2: libcst points at 3:4, Python at 2:7.
SYNTAX_ERROR = "import torch\ndef f(:\n    return torch.load('a.pt')\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    return enter_project(tmp_path, monkeypatch)


def check_json(*args: str):
    result = CliRunner().invoke(cli, ["check", "--no-cache", "--output-format", "json", *args], catch_exceptions=False)
    return result, json.loads(result.stdout)


def schema():
    from ckptlint.reporters.json_format import SCHEMA

    jsonschema.Draft7Validator.check_schema(SCHEMA)
    return SCHEMA


def test_a_syntax_error_is_a_finding_at_pythons_position(project) -> None:
    """#20 item 1: it used to vanish from JSON (`[]`, exit 0 with --exit-zero)."""
    (project / "broken.py").write_text(SYNTAX_ERROR)
    result, document = check_json("broken.py", "--exit-zero")
    assert result.exit_code == 0  # --exit-zero still wins, as before
    (error,) = document["findings"] if isinstance(document, dict) else document  # was `[]`
    jsonschema.validate(document, schema())
    assert (error["code"], error["name"], error["message"]) == (None, "invalid-syntax", "invalid syntax")
    assert error["location"] == {"row": 2, "column": 7}  # Python's `compile` position
    assert error["filename"] == str(project / "broken.py")
    assert error["severity"] == "error" and error["fix"] is None
    assert check_json("broken.py")[0].exit_code == 1  # counted as today


def test_every_kind_of_file_error_is_in_the_document(project) -> None:
    (project / "latin.py").write_bytes(b"x = '\xe9'\n")
    (project / "deep.py").write_text("import torch\nx = torch.load" + "(" * 300 + ")" * 300 + "\n")
    _, document = check_json("latin.py", "deep.py", "missing.py")
    jsonschema.validate(document, schema())
    named = {os.path.basename(item["filename"]): item for item in document["findings"]}
    assert named["latin.py"]["name"] == "io-error" and "not valid utf-8" in named["latin.py"]["message"]
    assert named["missing.py"]["name"] == "io-error" and named["missing.py"]["location"] == {"row": 1, "column": 1}
    assert named["deep.py"]["name"] == "invalid-syntax" and named["deep.py"]["location"]["row"] == 2


def test_document_is_versioned_and_filenames_are_absolute_whatever_was_typed(project, monkeypatch) -> None:
    """#20 item 8: `filename` was as typed (relative or absolute by command line)."""
    (project / "src").mkdir()
    (project / "src" / "a.py").write_text(BAD)
    _, relative = check_json("src/a.py")
    _, absolute = check_json(str(project / "src" / "a.py"))
    monkeypatch.chdir(project / "src")
    _, elsewhere = check_json("a.py")
    for document in (relative, absolute, elsewhere):
        jsonschema.validate(document, schema())
        assert document["schema"] == "ckptlint.check/1"
        assert [f["filename"] for f in document["findings"]] == [str(project / "src" / "a.py")] * 2
        assert all(f["severity"] == "error" and f["cell"] is None for f in document["findings"])
    assert relative == absolute == elsewhere


def test_stdin_without_a_name_is_dash(project) -> None:
    result = CliRunner().invoke(cli, ["check", "-", "--output-format", "json"], input=BAD.encode())
    document = json.loads(result.stdout)
    jsonschema.validate(document, schema())
    assert {f["filename"] for f in document["findings"]} == {"-"}


def test_the_schema_rejects_what_it_must() -> None:
    """Guard against a schema that accepts anything."""
    good = {"schema": "ckptlint.check/1", "findings": []}
    jsonschema.validate(good, schema())
    for bad in (
        [],  # the old bare list
        {"schema": "ckptlint.check/2", "findings": []},
        {"schema": "ckptlint.check/1", "findings": [{"code": None, "name": "load-without-map-location"}]},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema())


def test_stdin_that_cannot_be_decoded_is_in_the_document(project) -> None:
    result = CliRunner().invoke(cli, ["check", "-", "--stdin-filename", "a.py", "--output-format", "json"], input=b"x = '\xff'\n")
    assert result.exit_code == 1
    (error,) = json.loads(result.stdout)["findings"]
    assert (error["name"], error["filename"]) == ("io-error", str(project / "a.py"))
