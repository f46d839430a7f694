"""`ckptlint inspect` as users meet it: text, JSON (against its schema), a real process,
and a clear one-line error without torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import jsonschema
import pytest
import torch

import ckptlint.runtime as rt
from ckptlint.inspection.render_json import SCHEMA

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _env():
    env = dict(os.environ)
    env.pop("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", None)
    env["PYTHONPATH"] = os.pathsep.join([REPO_ROOT, *filter(None, [env.get("PYTHONPATH")])])
    return env


@pytest.fixture
def checkpoints(tmp_path, model, optimizer):
    """One of each outcome: clean, problems, unreadable, unsafe."""
    rt.save_checkpoint(tmp_path / "good.pt", model=model, optimizer=optimizer, epoch=2, step=20)
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, tmp_path / "bare.pt")
    (tmp_path / "cut.pt").write_bytes((tmp_path / "good.pt").read_bytes()[:500])
    torch.save(torch.nn.Linear(2, 2), tmp_path / "module.pt")
    return [tmp_path / name for name in ("good.pt", "bare.pt", "cut.pt", "module.pt")]


def test_text_output(checkpoints, run_inspect):
    code, text = run_inspect(*checkpoints)
    assert code == 2
    blocks = text.split("\n\n")
    assert [block.splitlines()[0] for block in blocks[:4]] == [
        f"{checkpoints[0]}: ok", f"{checkpoints[1]}: problems", f"{checkpoints[2]}: unreadable",
        f"{checkpoints[3]}: problems"]
    good = blocks[0]
    for row in ("format      torch.save zip archive", "(ckptlint.checkpoint/2)", "kind        training checkpoint",
                f"torch       {torch.__version__}", "weights     `model` (the model): 7 tensors, 33 parameters",
                "optimizer   `optimizer`: 1 param group, state for 4 parameters, lr 0.001", "scheduler   none",
                "progress    epoch 2, step 20"):
        assert row in good, good
    assert "problems    CKPT104 missing-rng-state: " in blocks[1]
    assert "            CKPT106 missing-progress-counter: " in blocks[1]
    assert "truncated-checkpoint: truncated (500 bytes)" in blocks[2]
    assert "globals     torch.nn.modules.linear.Linear" in blocks[3]
    assert blocks[-1] == "4 checkpoints: 1 ok, 2 with problems, 1 unreadable\n"


def test_json_output_matches_its_schema(checkpoints, inspect_json, tmp_path):
    code, document = inspect_json(*checkpoints, tmp_path / "missing.pt")
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    jsonschema.validate(document, SCHEMA)
    assert (code, document["schema"], document["exit_code"]) == (2, "ckptlint.inspect/1", 2)
    assert [f["status"] for f in document["files"]] == ["ok", "problems", "unreadable", "problems", "unreadable"]


def test_dcp_json_matches_its_schema(tmp_path, model, optimizer, inspect_json):
    import warnings

    import torch.distributed.checkpoint as dcp

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dcp.save({"model": model.state_dict(), "optim": optimizer.state_dict()}, checkpoint_id=str(tmp_path))
    _, document = inspect_json(tmp_path)
    jsonschema.validate(document, SCHEMA)


def test_python_dash_m_in_a_real_process(checkpoints):
    result = subprocess.run([sys.executable, "-m", "ckptlint", "inspect", "--format", "json", str(checkpoints[0])],
                            capture_output=True, text=True, timeout=120, env=_env())
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["files"][0]["status"] == "ok"


NO_TORCH = textwrap.dedent(
    """
    import sys
    sys.modules["torch"] = None  # any `import torch` now raises ImportError
    from ckptlint.cli import main
    try:
        main({args!r})
    except SystemExit as exit:
        print("EXIT", exit.code)
    print("HEAVY", sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "libcst")))
    """
)


def _without_torch(args):
    return subprocess.run([sys.executable, "-c", NO_TORCH.format(args=args)], capture_output=True,
                          text=True, timeout=60, env=_env())


def test_without_torch_one_clear_line(tmp_path):
    result = _without_torch(["inspect", str(tmp_path / "x.pt")])
    assert result.stderr.strip().splitlines() == [
        "ckptlint: error: `ckptlint inspect` needs PyTorch; install it with: pip install 'ckptlint[runtime]'"]
    assert result.stdout.split("\n")[:2] == ["EXIT 2", "HEAVY ['torch']"]  # the blocked placeholder only


def test_help_needs_no_torch():
    result = _without_torch(["inspect", "--help"])
    assert "Inspect checkpoint files" in result.stdout and "--allow-weights-only" in result.stdout
    assert "EXIT 0\nHEAVY ['torch']" in result.stdout and result.stderr == ""
