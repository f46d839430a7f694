"""2-process gloo DDP: rank 0 writes once, every rank loads, failures reach every rank.

Ranks are separate processes started like torchrun (RANK/WORLD_SIZE/MASTER_*
in the environment), each in its own session, under a hard deadline; ranks
still alive after their results are written are killed (gloo teardown can
hang, see RUNTIME.md section 1.5).
"""

from __future__ import annotations

import signal

import pytest
import torch

from rt_procs import launch_ranks

WORLD = 2
DEADLINE = 45


def launch(scenario: str, out) -> list[dict]:
    return launch_ranks("ddp_worker.py", [scenario, str(out)], out, world=WORLD, deadline=DEADLINE)


@pytest.mark.slow
def test_only_rank0_writes_all_ranks_load_identical_state(tmp_path) -> None:
    results = launch("save_load", tmp_path)
    assert [r["writes_for_save"] for r in results] == [1, 0]
    # then two CheckpointManager saves: 2 checkpoints and 2 latest.pt pointers, all on rank 0
    assert [r["writes"] for r in results] == [{"checkpoint": 3, "pointer": 2},
                                              {"checkpoint": 0, "pointer": 0}]
    for r in results:
        assert r["visible_after_save"] and r["next_epoch"] == 2
        assert r["equal_to_saved"] and r["momentum_restored"] and r["own_rng"]
        assert r["tmp_files"] == []
        assert r["latest"] == str(tmp_path / "mgr" / "epoch=000001.pt")
        assert r["mgr_files"] == ["epoch=000001.pt", "latest.pt"]
    assert results[0]["params"] == results[1]["params"]
    assert results[0]["draws"] != results[1]["draws"]  # each rank got its own RNG back
    payload = torch.load(tmp_path / "ckpt.pt", map_location="cpu", weights_only=True)
    assert [s["rank"] for s in payload["rng"]["per_rank"]] == [0, 1]
    assert payload["meta"]["world_size"] == 2
    assert not any(k.startswith("module.") for k in payload["model"])


@pytest.mark.slow
def test_asynchronous_saves_and_preemption_keep_collective_semantics(tmp_path) -> None:
    (tmp_path / "a_directory").mkdir()
    results = launch("async", tmp_path)
    # checkpoint writes: epoch 0 (async), the failed one, the preemption save; rank 0 only
    assert [r["writes"]["checkpoint"] for r in results] == [3, 0]
    assert all(r["visible_after_wait"] for r in results)
    assert [r["next_save_error"] for r in results] == ["CheckpointError", "CheckpointError"]
    assert [r["preempted_at"] for r in results] == [3, 3]  # in step, though only rank 1 got it
    assert [r["signal"] for r in results] == [None, int(signal.SIGUSR1)]
    assert all(r["preemption_save_is_sync"] and r["resumed"] == 0 for r in results)


@pytest.mark.slow
def test_failed_write_raises_on_every_rank(tmp_path) -> None:
    (tmp_path / "a_directory").mkdir()
    results = launch("fail_write", tmp_path)
    assert [r["error"] for r in results] == ["IsADirectoryError", "CheckpointError"]
    assert "rank 0 failed" in results[1]["message"]
    assert results[0]["tmp_files"] == [] and [r["writes"]["checkpoint"] for r in results] == [1, 0]
