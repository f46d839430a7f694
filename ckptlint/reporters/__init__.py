"""Reporters: format findings, compute nothing."""

from __future__ import annotations

from typing import Callable, Dict, TextIO

from ckptlint.api import RunReport

Reporter = Callable[[RunReport, TextIO, bool], None]


def get_reporter(name: str) -> Reporter:
    from ckptlint.reporters import json_format, text

    formats: Dict[str, Reporter] = {
        "concise": text.write_concise,
        "text": text.write_concise,
        "json": json_format.write_json,
    }
    return formats[name]


OUTPUT_FORMATS = ("concise", "text", "json")
