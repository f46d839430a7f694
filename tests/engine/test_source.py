"""Files are decoded as Python decodes them, and written back byte for byte."""

from __future__ import annotations

import os
import stat

import pytest

from ckptlint.engine.source import SourceError, decode_source, read_source, write_source


def test_utf8_default_and_bom_kept(tmp_path) -> None:
    path = tmp_path / "a.py"
    path.write_bytes(b"\xef\xbb\xbfx = '\xc3\xa9'\r\n")
    source = read_source(str(path), 10**6)
    assert source.text == "x = 'é'\r\n" and source.encoding == "utf-8-sig"
    write_source(source, source.text.replace("x", "y"))
    assert path.read_bytes() == b"\xef\xbb\xbfy = '\xc3\xa9'\r\n"


def test_pep263_declaration_is_honoured(tmp_path) -> None:
    path = tmp_path / "latin.py"
    path.write_bytes(b"# -*- coding: latin-1 -*-\nname = '\xe9'\n")
    source = read_source(str(path), 10**6)
    assert source.text.endswith("name = 'é'\n")
    write_source(source, source.text + "x = 1\n")
    assert path.read_bytes() == b"# -*- coding: latin-1 -*-\nname = '\xe9'\nx = 1\n"


def test_permissions_are_kept(tmp_path) -> None:
    path = tmp_path / "run.py"
    path.write_text("x = 1\n")
    os.chmod(path, 0o751)
    source = read_source(str(path), 10**6)
    write_source(source, "x = 2\n")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o751
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


@pytest.mark.parametrize(
    "data, message",
    [
        (b"x = '\xff'\n", "not valid utf-8"),
        (b"# coding: no-such-codec\n", "cannot determine encoding"),
        (b"x = 1\x00\n", "null byte"),
    ],
)
def test_undecodable_input_is_one_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        decode_source(data)


def test_size_limit_and_missing_file(tmp_path) -> None:
    big = tmp_path / "big.py"
    big.write_text("x = 1\n" * 100)
    with pytest.raises(SourceError, match="over the limit"):
        read_source(str(big), 50)
    with pytest.raises(SourceError, match="no such file"):
        read_source(str(tmp_path / "missing.py"), 50)
