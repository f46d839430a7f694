"""Rank helpers without a process group: defaults and the launcher env fallback."""

from __future__ import annotations

import pytest

import ckptlint.runtime as rt

KEYS = ("RANK", "LOCAL_RANK", "SLURM_PROCID", "JSM_NAMESPACE_RANK", "WORLD_SIZE", "SLURM_NTASKS")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for key in KEYS:
        monkeypatch.delenv(key, raising=False)


def test_defaults() -> None:
    assert (rt.get_rank(), rt.get_world_size(), rt.is_main_process()) == (0, 1, True)
    rt.barrier()  # no-op, no error


@pytest.mark.parametrize("key", ["RANK", "LOCAL_RANK", "SLURM_PROCID", "JSM_NAMESPACE_RANK"])
def test_rank_from_env(monkeypatch, key) -> None:
    monkeypatch.setenv(key, "1")
    assert rt.get_rank() == 1 and not rt.is_main_process()


def test_rank_takes_precedence_over_local_rank(monkeypatch) -> None:
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("LOCAL_RANK", "3")
    assert rt.is_main_process()


def test_world_size_from_env(monkeypatch) -> None:
    monkeypatch.setenv("WORLD_SIZE", "4")
    assert rt.get_world_size() == 4
    monkeypatch.setenv("WORLD_SIZE", "garbage")
    assert rt.get_world_size() == 1


def test_non_main_process_without_group_does_not_write(tmp_path, monkeypatch) -> None:
    import torch
    monkeypatch.setenv("RANK", "1")
    rt.save_checkpoint(tmp_path / "c.pt", model=torch.nn.Linear(1, 1), epoch=0)
    assert list(tmp_path.iterdir()) == []
