"""atomic_save: same-directory temp file, fsync, mode, symlinks, cleanup on error."""

from __future__ import annotations

import errno
import os
import stat

import pytest
import torch

import ckptlint.runtime as rt
from ckptlint.runtime import atomic as atomic_mod


def _load(path):
    return torch.load(path, map_location="cpu", weights_only=True)


def _tmp_files(directory) -> list[str]:
    return [n for n in os.listdir(directory) if n.endswith(".tmp")]


def test_writes_and_creates_directory(tmp_path) -> None:
    target = tmp_path / "a" / "b" / "ckpt.pt"
    assert rt.atomic_save({"w": torch.ones(3)}, target) == str(target)
    assert torch.equal(_load(target)["w"], torch.ones(3))
    assert _tmp_files(target.parent) == []


def test_symlinked_target_stays_a_link(tmp_path) -> None:
    real = tmp_path / "epoch_7.pt"
    rt.atomic_save({"v": 1}, real)
    link = tmp_path / "latest.pt"
    link.symlink_to(real.name)
    rt.atomic_save({"v": 2}, link)
    assert link.is_symlink() and os.readlink(link) == real.name
    assert _load(real) == {"v": 2}


def test_file_mode_respects_umask(tmp_path) -> None:
    old = os.umask(0o027)
    try:
        rt.atomic_save({"v": 1}, tmp_path / "m.pt")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "m.pt").st_mode) == 0o640


def test_existing_file_mode_is_kept(tmp_path) -> None:
    path = tmp_path / "m.pt"
    rt.atomic_save({"v": 1}, path)
    os.chmod(path, 0o600)
    rt.atomic_save({"v": 2}, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_fsyncs_file_and_directory(tmp_path, monkeypatch) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    rt.atomic_save({"v": 1}, tmp_path / "f.pt")
    assert any(p.startswith(str(tmp_path / ".f.pt.")) and p.endswith(".tmp") for p in synced), synced
    assert str(tmp_path) in synced


def test_error_while_pickling_keeps_old_file_and_no_temp(tmp_path) -> None:
    path = tmp_path / "c.pt"
    rt.atomic_save({"v": 1}, path)
    with pytest.raises(Exception):
        rt.atomic_save({"v": lambda: 0}, path)  # lambdas cannot be pickled
    assert _load(path) == {"v": 1}
    assert _tmp_files(tmp_path) == []


def test_disk_full_mid_write_keeps_old_file(tmp_path, monkeypatch) -> None:
    path = tmp_path / "c.pt"
    rt.atomic_save({"v": 1}, path)

    def full_disk(obj, f, **kwargs):
        f.write(b"PK\x03\x04partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.raises(OSError, match="No space left"):
        rt.atomic_save({"v": 2}, path)
    monkeypatch.undo()
    assert _load(path) == {"v": 1}
    assert _tmp_files(tmp_path) == []


def test_short_write_is_caught_before_rename(tmp_path, monkeypatch) -> None:
    path = tmp_path / "c.pt"
    rt.atomic_save({"v": 1}, path)
    real_save = torch.save

    def truncated(obj, f, **kwargs):
        import io
        buf = io.BytesIO()
        real_save(obj, buf)
        f.write(buf.getvalue()[: len(buf.getvalue()) // 2])

    monkeypatch.setattr(torch, "save", truncated)
    with pytest.raises(rt.CheckpointCorruptError):
        rt.atomic_save({"v": 2, "w": torch.ones(100)}, path)
    monkeypatch.undo()
    assert _load(path) == {"v": 1} and _tmp_files(tmp_path) == []


def test_check_weights_only_refuses_unsafe_objects(tmp_path) -> None:
    import argparse
    path = tmp_path / "c.pt"
    rt.atomic_save({"args": argparse.Namespace(a=1)}, path)  # a drop-in: accepted by default
    with pytest.raises(rt.UnsafeCheckpointValueError, match="Namespace"):
        rt.atomic_save({"args": argparse.Namespace(a=2)}, path, check_weights_only=True)
    assert _tmp_files(tmp_path) == []


def test_rejects_file_objects(tmp_path) -> None:
    with open(tmp_path / "x", "wb") as fh, pytest.raises(TypeError):
        rt.atomic_save({}, fh)  # type: ignore[arg-type]


def test_torch_save_kwargs_are_passed(tmp_path) -> None:
    path = tmp_path / "legacy.pt"
    rt.atomic_save({"v": torch.ones(2)}, path, _use_new_zipfile_serialization=False)
    assert torch.equal(torch.load(path, weights_only=True)["v"], torch.ones(2))
    assert atomic_mod.TMP_SUFFIX == ".tmp"


def test_other_programs_hidden_tmp_files_are_never_touched(tmp_path) -> None:
    """Only names atomic_save gives are candidates; an editor's or another tool's stay."""
    import time
    others = [".notes.txt.tmp", ".x.abcdefgh.tmp", ".config.swp.tmp"]
    for name in others:
        (tmp_path / name).write_bytes(b"someone else's")
        old = time.time() - 3 * 24 * 3600
        os.utime(tmp_path / name, (old, old))
    rt.atomic_save({"v": 1}, tmp_path / "c.pt")
    assert sorted(_tmp_files(tmp_path)) == sorted(others)
