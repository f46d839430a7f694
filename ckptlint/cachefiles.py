"""Cache files (lint results, summaries, outlines) written whole or not at all.

Another process may read a cache file while this one writes it (`--jobs`
workers, an editor's server beside a pre-commit run): the bytes go to a
temporary file beside it, which then replaces it in one rename. A write that
fails (a full disk, a read-only folder) leaves no partial file behind and is
not an error: a cache that cannot be written is only slower.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import Optional


def write_whole(path: str, data: bytes) -> bool:
    """Write ``data`` to the file ``path`` whole or not at all; False when it could not be written."""
    tmp: Optional[str] = None
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        try:
            handle = os.fdopen(fd, "wb")
        except OSError:
            os.close(fd)
            raise
        with handle:
            handle.write(data)
        os.replace(tmp, path)
        return True
    except OSError:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        return False
