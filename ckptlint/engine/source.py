"""Reading a source file once, decoding it exactly as Python would.

The bytes are decoded with the encoding `tokenize.detect_encoding` finds
(UTF-8 by default, a PEP 263 declaration honoured, a UTF-8 BOM remembered),
without newline translation, so that writing the fixed text back with the
same encoding reproduces every byte a fix did not touch. Writing goes back
into the same file, in place (see `write_source`).
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import io
import os
import signal
import stat
import tokenize
from dataclasses import dataclass
from typing import Iterator, Optional, Tuple


class SourceError(Exception):
    """A file that cannot be linted; the message is the one-line reason."""


@dataclass(frozen=True)
class SourceFile:
    """The decoded text of one file, and how to write it back."""

    path: str
    text: str
    encoding: str  # a Python codec name; "utf-8-sig" when the file has a BOM
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
    """Read and decode ``path``; every failure is a `SourceError` with one line.

    Only regular files are read: a FIFO, socket or device named `*.py` is
    refused, never opened in a way that could block (the open does not wait
    for a writer, and the opened file is checked again before reading).
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise SourceError("no such file") from None
    except OSError as exc:
        raise SourceError(exc.strerror or str(exc)) from None
    _check_regular(info)
    if info.st_size > max_bytes:
        raise SourceError(
            f"file is {info.st_size:,} bytes, over the limit of {max_bytes:,} "
            "(raise it with `max-file-size`)"
        )
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise SourceError(exc.strerror or str(exc)) from None
    with open(fd, "rb") as handle:
        opened = os.fstat(handle.fileno())
        _check_regular(opened)  # replaced by something else since the stat
        try:
            data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise SourceError(exc.strerror or str(exc)) from None
    if len(data) > max_bytes:  # grew after the stat
        raise SourceError(f"file is over the limit of {max_bytes:,} bytes")
    source = decode_source(data, path)
    return SourceFile(source.path, source.text, source.encoding, _identity(opened))


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _check_regular(info: os.stat_result) -> None:
    if stat.S_ISREG(info.st_mode):
        return
    what = next((name for test, name in _KINDS if test(info.st_mode)), "not a regular file")
    raise SourceError(f"not a regular file: {what}" if what != "not a regular file" else what)


def _identity(info: os.stat_result) -> Tuple[int, int, int, int]:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


def write_source(source: SourceFile, text: str) -> None:
    """Write ``text`` back into the file ``source`` was read from, in its own encoding.

    In place, as ruff and black write: the file keeps its inode, so its owner,
    permissions, ACLs, extended attributes and hard links stay as they were,
    and a file the user may not write is refused by the system (one line)
    instead of being replaced. A file that was deleted or edited since it was
    read is refused too: the identity check runs on the opened file itself.

    Crash safety, the trade-off: in place cannot be atomic the way
    temp-file-and-rename is. What keeps the window small is that the new
    bytes are complete in memory before the file is opened, they go in with
    one write at offset 0 followed by a truncation to their length, with
    SIGINT and SIGTERM held off meanwhile (Ctrl-C never cuts a file in two),
    and a write that fails part-way (a full disk) puts the original bytes
    back. Only SIGKILL or a power loss inside that write can leave a mixed
    file, as with ruff and black; a temporary copy beside the file would need
    write access to its folder, which writing in place must not require.
    """
    data = source.encode(text)
    original = source.encode(source.text) if source.identity is not None else b""
    try:
        fd = os.open(source.path, os.O_WRONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise OSError(errno.ENOENT, "the file was deleted while it was linted") from None
    try:
        _check_unchanged(source, os.fstat(fd))
        with _signals_held():
            try:
                _overwrite(fd, data)
            except OSError:
                _overwrite(fd, original)
                raise
    finally:
        os.close(fd)


def _check_unchanged(source: SourceFile, current: os.stat_result) -> None:
    if source.identity is not None and _identity(current) != source.identity:
        raise OSError(errno.EAGAIN, "the file changed while it was linted")


def _overwrite(fd: int, data: bytes) -> None:
    view = memoryview(data)
    written = 0
    while written < len(data):
        written += os.pwrite(fd, view[written:], written)
    os.ftruncate(fd, len(data))


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back (delivered afterwards) where the platform can."""
    held = {getattr(signal, name) for name in ("SIGINT", "SIGTERM") if hasattr(signal, name)}
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
