"""What must hold for any input, shared by the fuzz tests and `benchmarks/fuzz_campaign.py`.

`check_bytes` runs the engine the way the CLI does (decode, lint, fix) with
every rule selected and the pre-filter off, so that generated programs that
never mention torch still go through the parser, the model and every rule.
It raises `AssertionError` naming the broken invariant; any other exception
is an exception that escaped the engine.
"""

from __future__ import annotations

import os
import random
from typing import Callable, List, Optional

import libcst as cst

from ckptlint.api import fix_source, lint_source
from ckptlint.config.loader import build_settings
from ckptlint.config.settings import Settings
from ckptlint.diagnostics import Diagnostic
from ckptlint.engine.source import SourceError, decode_source

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE_DIRS = [os.path.join(REPO, "fixtures", "bad"), os.path.join(REPO, "fixtures", "good")]

_SETTINGS: Optional[Settings] = None


def all_rules() -> Settings:
    global _SETTINGS
    if _SETTINGS is None:
        _SETTINGS = build_settings({"select": ["ALL"]}, root=REPO)
    return _SETTINGS


def training_scripts() -> List[bytes]:
    scripts = []
    for directory in FIXTURE_DIRS:
        for name in sorted(os.listdir(directory)):
            if name.endswith(".py"):
                with open(os.path.join(directory, name), "rb") as handle:
                    scripts.append(handle.read())
    return scripts


def python_accepts(text: str) -> bool:
    try:
        compile(text, "<fuzz>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return True


def check_span(diagnostic: Diagnostic, text: str) -> None:
    span = diagnostic.span
    assert 0 <= span.start_offset <= span.end_offset <= len(text), (diagnostic, len(text))
    lines = text.splitlines(keepends=True) or [""]
    assert 1 <= span.line <= span.end_line <= len(lines) + 1, (diagnostic, len(lines))
    assert span.column >= 1 and span.end_column >= 1, diagnostic
    assert (span.line, span.column) <= (span.end_line, span.end_column), diagnostic
    if diagnostic.fix is not None:
        for edit in diagnostic.fix.edits:
            assert 0 <= edit.start <= edit.end <= len(text), (diagnostic, edit, len(text))


def check_text(text: str, path: str = "fuzz.py") -> None:
    """No exception escapes; findings lie in the file; fixed output parses and is stable."""
    settings = all_rules()
    outcome = lint_source(text, path, settings)
    internal = [e.render() for e in outcome.errors if e.internal]
    assert not internal, internal
    for diagnostic in outcome.diagnostics:
        check_span(diagnostic, text)
    fixed = fix_source(text, path, settings, unsafe_fixes=True)
    assert fixed.error is None, fixed.error
    assert not [e for e in fixed.outcome.errors if e.internal], fixed.outcome.errors
    if fixed.text != text:
        assert outcome.parsed
        cst.parse_module(fixed.text)  # libcst must re-parse what the fixer wrote
        if python_accepts(text):
            assert python_accepts(fixed.text), "the fix made valid Python invalid"
        again = fix_source(fixed.text, path, settings, unsafe_fixes=True)
        assert again.text == fixed.text, "a second fix pass changed the text"
    for diagnostic in fixed.outcome.diagnostics:
        check_span(diagnostic, fixed.text)


def check_bytes(data: bytes, path: str = "fuzz.py") -> None:
    try:
        source = decode_source(data, path)
    except SourceError as exc:
        assert "\n" not in str(exc)
        return
    check_text(source.text, path)


# -- mutations of real training scripts -----------------------------------------


def _lines(data: bytes) -> List[bytes]:
    return data.splitlines(keepends=True) or [b""]


def delete_line(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    del lines[rng.randrange(len(lines))]
    return b"".join(lines)


def duplicate_line(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    index = rng.randrange(len(lines))
    lines.insert(index, lines[index])
    return b"".join(lines)


def indent_line(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    index = rng.randrange(len(lines))
    lines[index] = rng.choice([b"    ", b"\t", b" ", b"\x0c"]) + lines[index]
    return b"".join(lines)


def dedent_line(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    index = rng.randrange(len(lines))
    lines[index] = lines[index].lstrip(b" \t")
    return b"".join(lines)


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def flip_byte(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return b"\xff"
    index = rng.randrange(len(data))
    return data[:index] + bytes([data[index] ^ (1 << rng.randrange(8))]) + data[index + 1 :]


def insert_junk(data: bytes, rng: random.Random) -> bytes:
    index = rng.randrange(len(data) + 1)
    junk = rng.choice([b"(", b")", b"[", b"]", b":", b"\r", b"\r\n", b"'", b'"""', b"\\", b"\xef\xbb\xbf", b"\t", b"#"])
    return data[:index] + junk + data[index:]


def swap_lines(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return b"".join(lines)


def crlf(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    index = rng.randrange(len(lines))
    lines[index] = lines[index].replace(b"\n", b"\r\n")
    return b"".join(lines)


MUTATIONS: List[Callable[[bytes, random.Random], bytes]] = [
    delete_line, duplicate_line, indent_line, dedent_line, truncate, flip_byte,
    insert_junk, swap_lines, crlf,
]


def mutate(data: bytes, seed: int, count: int) -> bytes:
    rng = random.Random(seed)
    for _ in range(count):
        data = rng.choice(MUTATIONS)(data, rng)
    return data
