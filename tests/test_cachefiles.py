"""Cache files are written whole or not at all, and a failed write leaves nothing behind."""

from __future__ import annotations

import os

import pytest

from ckptlint.cachefiles import write_whole


def test_a_cache_file_is_written_whole_in_a_new_folder(tmp_path) -> None:
    path = tmp_path / "ab" / "entry.json"
    assert write_whole(str(path), b"{}")
    assert path.read_bytes() == b"{}" and os.listdir(tmp_path / "ab") == ["entry.json"]


@pytest.mark.parametrize("step", ["write", "replace"])
def test_a_failed_write_keeps_the_old_file_and_leaves_no_partial_one(tmp_path, monkeypatch, step: str) -> None:
    path = tmp_path / "entry.json"
    path.write_bytes(b"old")

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    if step == "replace":
        monkeypatch.setattr(os, "replace", refuse)
    else:
        monkeypatch.setattr(os, "fdopen", refuse)
    assert not write_whole(str(path), b"new")
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["entry.json"]
