"""Reporters: format findings, compute nothing."""

from __future__ import annotations

from typing import Callable, Dict, TextIO

from ckptlint.engine.session.report import RunReport

Reporter = Callable[[RunReport, TextIO, bool], None]


def get_reporter(name: str) -> Reporter:
    from ckptlint.reporters import full, github, json_format, sarif, text

    formats: Dict[str, Reporter] = {
        "concise": text.write_concise,
        "full": full.write_full,
        "text": text.write_concise,
        "json": json_format.write_json,
        "github": github.write_github,
        "sarif": sarif.write_sarif,
    }
    return formats[name]


OUTPUT_FORMATS = ("concise", "full", "text", "json", "github", "sarif")
# Formats that are one machine-readable document: nothing else may go to the same stream.
DOCUMENT_FORMATS = ("json", "sarif")
