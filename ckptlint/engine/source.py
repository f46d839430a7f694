"""Reading a source file once, decoding it exactly as Python would.

The bytes are decoded with the encoding `tokenize.detect_encoding` finds
(UTF-8 by default, a PEP 263 declaration honoured, a UTF-8 BOM remembered),
without newline translation, so that writing the fixed text back with the
same encoding reproduces every byte a fix did not touch.
"""

from __future__ import annotations

import codecs
import errno
import io
import os
import stat
import tokenize
from dataclasses import dataclass
from typing import Optional, Tuple


class SourceError(Exception):
    """A file that cannot be linted; the message is the one-line reason."""


@dataclass(frozen=True)
class SourceFile:
    """The decoded text of one file, and how to write it back."""

    path: str
    text: str
    encoding: str  # a Python codec name; "utf-8-sig" when the file has a BOM
    mode: Optional[int] = None  # permission bits of the file on disk
    # (device, inode, size, mtime) of what was read: a write refuses to replace
    # a file that was deleted or edited (say, saved by an editor) meanwhile.
    identity: Optional[Tuple[int, int, int, int]] = None

    def encode(self, text: str) -> bytes:
        return text.encode(self.encoding)


def decode_source(data: bytes, path: str = "-") -> SourceFile:
    """Decode ``data`` as the Python interpreter would decode a source file."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        # Undecodable bytes in the first two lines also land here; name them.
        _decode(data, "utf-8")
        raise SourceError(f"cannot determine encoding: {exc.msg}") from None
    text = _decode(data, encoding)
    if "\x00" in text:
        raise SourceError("source contains a null byte")
    return SourceFile(path=path, text=text, encoding=encoding)


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"not valid {codecs.lookup(encoding).name} "
            f"(byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None


def read_source(path: str, max_bytes: int) -> SourceFile:
    """Read and decode ``path``; every failure is a `SourceError` with one line."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise SourceError("no such file") from None
    except OSError as exc:
        raise SourceError(exc.strerror or str(exc)) from None
    if stat.S_ISDIR(info.st_mode):
        raise SourceError("is a directory")
    if info.st_size > max_bytes:
        raise SourceError(
            f"file is {info.st_size:,} bytes, over the limit of {max_bytes:,} "
            "(raise it with `max-file-size`)"
        )
    try:
        with open(path, "rb") as handle:
            opened = os.fstat(handle.fileno())
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise SourceError(exc.strerror or str(exc)) from None
    if len(data) > max_bytes:  # grew after the stat
        raise SourceError(f"file is over the limit of {max_bytes:,} bytes")
    source = decode_source(data, path)
    return SourceFile(source.path, source.text, source.encoding, stat.S_IMODE(opened.st_mode), _identity(opened))


def _identity(info: os.stat_result) -> Tuple[int, int, int, int]:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


def _check_unchanged(source: SourceFile, real: str) -> None:
    if source.identity is None:
        return
    try:
        current = os.stat(real)
    except FileNotFoundError:
        raise OSError(errno.ENOENT, "the file was deleted while it was linted") from None
    if _identity(current) != source.identity:
        raise OSError(errno.EAGAIN, "the file changed while it was linted")


def write_source(source: SourceFile, text: str) -> None:
    """Write ``text`` back in the file's own encoding and permissions.

    The new content goes to a temporary file in the same directory which then
    replaces the original, so an interrupted run never leaves half a file.
    """
    directory = os.path.dirname(os.path.abspath(source.path))
    real = os.path.realpath(source.path)
    data = source.encode(text)
    import tempfile  # only needed on the (rare) write path

    fd, tmp = tempfile.mkstemp(prefix=".ckptlint-", suffix=".tmp", dir=os.path.dirname(real) or directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if source.mode is not None:
            os.chmod(tmp, source.mode)
        _check_unchanged(source, real)
        os.replace(tmp, real)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
