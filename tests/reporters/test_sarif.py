"""`--output-format sarif` / `--output-file sarif:PATH`, validated against SARIF 2.1.0."""

from __future__ import annotations

import json
import os
from urllib.parse import unquote

from click.testing import CliRunner

from ckptlint.cli import cli
from ckptlint.diagnostics import ERROR_KINDS
from ckptlint.docs import render
from ckptlint.links import PROJECT_URL, rule_url
from ckptlint.rules.registry import RULES
from support import FIXTURES

SAMPLE = 'import torch\nname = "é"; state = torch.load("model.pt")\n'


def _run(args, cwd, env=None):
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, args, env=env or {"GITHUB_WORKSPACE": str(cwd)}, catch_exceptions=False)
    finally:
        os.chdir(old)


def _apply(text: str, replacements) -> str:
    """Apply SARIF replacements (1-based code-point line/column regions) to ``text``."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(line: int, column: int) -> int:
        return starts[line - 1] + column - 1

    for rep in sorted(replacements, key=lambda r: (r["deletedRegion"]["startLine"], r["deletedRegion"]["startColumn"]), reverse=True):
        region = rep["deletedRegion"]
        start = offset(region["startLine"], region["startColumn"])
        end = offset(region["endLine"], region["endColumn"])
        text = text[:start] + rep["insertedContent"]["text"] + text[end:]
    return text


def test_sarif_document(tmp_path, sarif_validator):
    (tmp_path / "src").mkdir()
    weird = tmp_path / "src" / "we,ird:100%.py"
    weird.write_text(SAMPLE, encoding="utf-8")
    result = _run(["check", "--output-format", "sarif", "src"], tmp_path)
    assert result.exit_code == 1
    document = sarif_validator(json.loads(result.output))  # stdout is the document and nothing else

    assert document["version"] == "2.1.0" and "$schema" in document
    (run,) = document["runs"]
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.as_uri() + "/"
    driver = run["tool"]["driver"]
    assert driver["name"] == "ckptlint" and driver["informationUri"] == PROJECT_URL
    assert driver["version"] and driver["semanticVersion"] == driver["version"]
    assert [rule["id"] for rule in driver["rules"]] == [rule.code for rule in RULES] + list(ERROR_KINDS)
    for sarif_rule, rule in zip(driver["rules"], RULES):
        assert sarif_rule["name"] == rule.name
        assert sarif_rule["shortDescription"]["text"] and sarif_rule["fullDescription"]["text"]
        assert sarif_rule["help"]["markdown"] == render(rule) == sarif_rule["help"]["text"]
        assert sarif_rule["helpUri"] == rule_url(rule.code)
        assert sarif_rule["defaultConfiguration"]["level"] in ("error", "warning")

    results = run["results"]
    assert [r["ruleId"] for r in results] == ["CKPT201", "CKPT202"]
    line = SAMPLE.splitlines()[1]
    start = line.index("torch.load") + 1
    for result_ in results:
        assert "partialFingerprints" not in result_
        assert driver["rules"][result_["ruleIndex"]]["id"] == result_["ruleId"]
        assert result_["level"] in ("error", "warning") and result_["message"]["text"]
        location = result_["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert unquote(location["artifactLocation"]["uri"]) == "src/we,ird:100%.py"
        assert location["region"] == {
            "startLine": 2,
            "startColumn": start,
            "endLine": 2,
            "endColumn": start + len('torch.load("model.pt")'),
        }
        (fix,) = result_["fixes"]
        (change,) = fix["artifactChanges"]
        assert change["artifactLocation"] == location["artifactLocation"]
        fixed = _apply(SAMPLE, change["replacements"])
        assert fixed != SAMPLE and fixed.count("torch.load(") == 1
    assert 'map_location="cpu"' in _apply(SAMPLE, results[0]["fixes"][0]["artifactChanges"][0]["replacements"])
    assert "unsafe" in results[1]["fixes"][0]["description"]["text"]


def test_output_file_alongside_annotations(tmp_path, sarif_validator):
    (tmp_path / "a.py").write_text(SAMPLE, encoding="utf-8")
    out = tmp_path / "out" / "ckptlint.sarif"
    out.parent.mkdir()
    result = _run(
        ["check", "--output-format", "github", "--output-file", f"sarif:{out}", "--output-file", f"json:{tmp_path / 'o.json'}", "a.py"],
        tmp_path,
    )
    assert result.exit_code == 1
    assert result.output.startswith("::error file=a.py,line=2,")
    document = sarif_validator(json.loads(out.read_text(encoding="utf-8")))
    assert len(document["runs"][0]["results"]) == 2
    assert len(json.loads((tmp_path / "o.json").read_text(encoding="utf-8"))["findings"]) == 2


def test_bad_output_file_is_a_usage_error(tmp_path):
    (tmp_path / "a.py").write_text(SAMPLE, encoding="utf-8")
    assert _run(["check", "--output-file", "xml:out.xml", "a.py"], tmp_path).exit_code == 2
    assert _run(["check", "--output-file", "sarif", "a.py"], tmp_path).exit_code == 2


def test_clean_run_and_file_errors_validate(tmp_path, sarif_validator):
    (tmp_path / "ok.py").write_text("import torch\n", encoding="utf-8")
    # a file that needs analysis (it loads a checkpoint) and does not parse
    (tmp_path / "broken.py").write_text("import torch\nsd = torch.load(p)\ndef (:\n", encoding="utf-8")
    result = _run(["check", "--output-format", "sarif", "ok.py", "broken.py"], tmp_path)
    assert result.exit_code == 1
    document = sarif_validator(json.loads(result.stdout))
    run = document["runs"][0]
    (error,) = run["results"]  # the file that could not be linted is a result, at Python's position
    assert error["ruleId"] == "invalid-syntax" and error["message"]["text"] == "invalid syntax"
    location = error["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "broken.py"
    assert location["region"] == {"startLine": 3, "startColumn": 5}
    assert run["tool"]["driver"]["rules"][error["ruleIndex"]]["id"] == "invalid-syntax"
    assert run["invocations"][0] == {"executionSuccessful": True, "toolExecutionNotifications": []}


def test_fixtures_corpus_validates(sarif_validator, tmp_path):
    result = _run(["check", "--output-format", "sarif", "--select", "ALL", FIXTURES], os.path.dirname(FIXTURES))
    document = sarif_validator(json.loads(result.stdout))
    results = document["runs"][0]["results"]
    assert results, "the bad fixtures should produce findings"
    assert all(not r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("/") for r in results)


def test_validator_checks_uris(sarif_validator):
    """Guard against a validator that silently skips formats."""
    bad = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "artifacts": [{"location": {"uri": "we,ird:100%.py"}}]}]}
    assert list(sarif_validator.validator.iter_errors(bad))


def test_a_tree_with_a_syntax_error_and_a_notebook_validates(tmp_path, sarif_validator):
    """#20 Must show: a syntax error and a notebook in one SARIF document, checked
    against the SARIF 2.1.0 schema; each result's region lies inside the text it names."""
    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Resume\n"]},
            {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
             "source": ["import torch\n", "state = torch.load('ckpt.pt')\n"]},
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.ipynb").write_text(json.dumps(notebook, indent=1) + "\n", encoding="utf-8")
    (tmp_path / "src" / "broken.py").write_text("import torch\nx = torch.load(\n", encoding="utf-8")
    (tmp_path / "src" / "ok.py").write_text(SAMPLE, encoding="utf-8")
    result = _run(["check", "--output-format", "sarif", "src"], tmp_path)
    assert result.exit_code == 1
    document = sarif_validator(json.loads(result.stdout))
    results = document["runs"][0]["results"]
    by_file = {}
    for item in results:
        by_file.setdefault(item["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], []).append(item)
    (syntax,) = by_file["src/broken.py"]
    assert syntax["ruleId"] == "invalid-syntax" and syntax["message"]["text"] == "'(' was never closed"
    assert syntax["locations"][0]["physicalLocation"]["region"] == {"startLine": 2, "startColumn": 15}
    cells = by_file["src/train.ipynb"]
    assert {r["ruleId"] for r in cells} == {"CKPT201", "CKPT202"}
    for item in cells:
        assert item["properties"] == {"cell": 2}
        assert item["locations"][0]["physicalLocation"]["region"]["startLine"] == 2  # line 2 of cell 2
        for replacement in item["fixes"][0]["artifactChanges"][0]["replacements"]:
            assert replacement["properties"] == {"cell": 2} and replacement["deletedRegion"]["startLine"] == 2
    assert len(by_file["src/ok.py"]) == 2
