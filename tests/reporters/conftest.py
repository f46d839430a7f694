"""SARIF validation shared by every test that produces SARIF.

The schema is vendored under `tests/schemas/` (OASIS's SARIF 2.1.0 schema,
errata 01, as published at docs.oasis-open.org), so a plain clone validates
instead of silently skipping. Validation uses the Draft 4 meta-schema the SARIF schema declares,
with the full jsonschema format checker (the `format-nongpl` extra), so that
`uri` and `uri-reference` values are really checked: Draft 4's own checker
knows only `uri`.
"""

from __future__ import annotations

import json
import os

import pytest

from support import REPO

SARIF_SCHEMA = os.path.join(REPO, "tests", "schemas", "sarif-2.1.0.json")


@pytest.fixture(scope="session")
def sarif_validator():
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema (test extra) is not installed")
    with open(SARIF_SCHEMA, encoding="utf-8") as handle:
        schema = json.load(handle)
    checker = jsonschema.FormatChecker()
    for needed in ("uri", "uri-reference"):
        if needed not in checker.checkers:
            pytest.skip(f"jsonschema cannot check `{needed}`: install jsonschema[format-nongpl]")
    validator = jsonschema.Draft4Validator(schema, format_checker=checker)

    def validate(document):
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])
        return document

    validate.validator = validator
    return validate
