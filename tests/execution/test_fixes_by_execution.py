"""Fixes proven by running them (#18 part 4).

Every bad fixture is a real training job. Each runs straight, then stopped
right after a checkpoint and resumed in a fresh process; the losses of every
step and the final weights are compared. Before `ckptlint check --fix
--unsafe-fixes` (the real command line, on a copy) the comparison must fail,
for the reason the fixture's findings name; after it, the job must resume bit
for bit, and its loaders must load what its savers write (every run executes
all of the job's loads).

A fix that changes what a save writes changes the loads of that checkpoint in
the same edit (#18 part 1: paired edits), so every fixed job resumes bit for
bit but the FSDP one, whose findings (CKPT304) have no fix: it is an expected
failure, for the reason it names. `python tests/execution/report.py` prints
the table of all runs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict

import pytest
from job_launch import REPO
from resume_check import JOBS, Verdict, check, evaluate_shared_checkpoint, fixed_copies

pytestmark = pytest.mark.slow

BAD = REPO / "fixtures" / "bad"

# What breaks each job before the fix, as the first difference or the error (a pattern
# of `Verdict.reason`), and the findings that name it.
BREAKS = {
    "resume_from_checkpoint": (r"^epoch 2 step 0: loss", "CKPT104, CKPT401: shuffle order and dropout masks come from an RNG the checkpoint does not hold"),
    "torchrun_ddp_resume": (r"the resumed run epoch 1 step 0$", "CKPT203: the resume trains the saved epoch again"),
    "trainer_amp_cosine": (r"^epoch 2 step [1-7]: loss", "CKPT103, CKPT105: the LR schedule and the loss scale restart"),
    "ddp_amp_loop": (r"^epoch 1 step [4-7]: loss", "CKPT105: the loss scale restarts (fp16 overflow skips other steps)"),
    "dcgan": (r"^epoch 2 step 0: loss", "CKPT104, CKPT102: the noise comes from an RNG not saved; D's Adam state is not saved"),
    "seeded_classifier": (r"Parent directory checkpoints does not exist", "CKPT502: the save's directory is never created"),
    "mp_spawn_ddp": (r"^epoch 2 step 1: loss", "CKPT102: the SGD momentum is not saved"),
    "fsdp_train": (
        # An unreadable file shows as either of torch's two messages, by where the mixed writes land.
        r"(size of tensor a \(\d+\) must match|^epoch 2 step [0-3]: loss|failed reading zip archive|archive is corrupted)",
        "CKPT301, CKPT304: rank 0 restores whichever rank's optimizer shard was written last (a crash when it is rank 1's), "
        "rank 1 none; both ranks writing the one file at once can also leave it unreadable",
    ),
}

# Why a fixed job does not resume bit for bit: the pattern of its `Verdict.reason`, and the
# cause. Another reason fails the test (a new bug); bit for bit fails it too (strict).
NOT_YET = {
    "fsdp_train": (
        r"^epoch 2 step [0-3]: loss",
        "CKPT304 has no fix (the catalog's): only rank 0 restores optimizer state, rank 1 resumes with a "
        "fresh AdamW; and the CKPT301 guard makes rank 0 write only its own optimizer shard (rank 1's is "
        "never saved): the job needs per-rank optimizer files, which no fix writes",
    ),
}


@pytest.fixture(scope="module")
def fixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fixed") / "bad"
    fixed_copies(BAD, folder)
    return folder


@pytest.fixture(scope="module")
def verdicts() -> Dict[str, Verdict]:
    """The verdicts computed so far in this module (each job runs once per version)."""
    return {}


def _verdict(cache: Dict[str, Verdict], key: str, job_name: str, script: Path, workdir: Path) -> Verdict:
    if key not in cache:
        job = next(job for job in JOBS if job.name == job_name)
        cache[key] = check(job, script, workdir)
    return cache[key]


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_bad_job_does_not_resume(name: str, verdicts: Dict[str, Verdict], tmp_path: Path) -> None:
    verdict = _verdict(verdicts, f"bad/{name}", name, BAD / f"{name}.py", tmp_path)
    pattern, why = BREAKS[name]
    assert not verdict.bit_exact, f"{name} resumes bit for bit before the fix"
    assert re.search(pattern, verdict.reason), f"{name}: {verdict.reason} (expected {why})"


def _not_yet(name: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, raises=AssertionError, reason=NOT_YET[name][1])


@pytest.mark.parametrize("name", [pytest.param(n, marks=_not_yet(n)) if n in NOT_YET else n for n in sorted(BREAKS)])
def test_fixed_job_resumes_bit_for_bit(name: str, fixed: Path, verdicts: Dict[str, Verdict], tmp_path: Path) -> None:
    verdict = _verdict(verdicts, f"fixed/{name}", name, fixed / f"{name}.py", tmp_path)
    if not verdict.bit_exact and name in NOT_YET and not re.search(NOT_YET[name][0], verdict.reason):
        pytest.fail(f"{name} fails for another reason than the known one: {verdict.reason}")
    assert verdict.bit_exact, verdict.reason


def test_every_bad_fixture_is_a_job() -> None:
    assert sorted(BREAKS) == sorted(job.name for job in JOBS)
    assert sorted([*BREAKS, "evaluate_pretrained"]) == sorted(path.stem for path in BAD.glob("*.py"))


def test_evaluation_job_loads_the_shared_checkpoint_before_and_after_the_fix(fixed: Path, tmp_path: Path) -> None:
    # Not a training job: nothing to stop and resume. Its findings (CKPT201: no
    # `map_location` for a checkpoint saved on a GPU; CKPT202: `weights_only` below
    # torch 2.6) cannot show on this CPU-only torch 2.13; the fixed loads must still
    # read what the colleague's `torch.save` wrote.
    for label, script in (("before", BAD / "evaluate_pretrained.py"), ("after", fixed / "evaluate_pretrained.py")):
        run = evaluate_shared_checkpoint(script, tmp_path / label)
        assert run.ok, f"{label}: {run.error()}"
        assert "accuracy" in run.outputs[0] and "embeddings (8, 4)" in run.outputs[0]


def test_the_comparison_can_pass_a_single_process_job(tmp_path: Path) -> None:
    # The positive control (the fixed torchrun_ddp_resume is the distributed one): the good
    # twin restores its RNG and draws its batches in order, so it resumes bit for bit.
    job = next(job for job in JOBS if job.name == "resume_from_checkpoint")
    verdict = check(job, REPO / "fixtures" / "good" / "resume_from_checkpoint.py", tmp_path)
    assert verdict.bit_exact, verdict.reason
