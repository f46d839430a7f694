"""fsspec stays optional: importing the runtime loads neither torch nor fsspec, and a URL
without fsspec names the extra to install (file:// needs no fsspec)."""

from __future__ import annotations

import subprocess
import sys

from rt_procs import subprocess_env


def _run(code: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], env=subprocess_env(), cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def test_import_loads_neither_torch_nor_fsspec() -> None:
    proc = _run("import sys, ckptlint.runtime\n"
                "print([m for m in ('torch', 'fsspec', 'numpy') if m in sys.modules])")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


NO_FSSPEC = r"""
import sys
sys.modules["fsspec"] = None          # make "import fsspec" fail
import torch
import ckptlint.runtime as rt
model = torch.nn.Linear(2, 2)
calls = [lambda: rt.save_checkpoint("s3://bucket/run/c.pt", model=model, epoch=0),
         lambda: rt.load_checkpoint("gs://bucket/run/c.pt", model=model),
         lambda: rt.CheckpointManager("memory://run"),
         lambda: rt.atomic_save({}, "s3://bucket/x.pt")]
for call in calls:
    try:
        call()
    except ImportError as exc:
        assert "pip install 'ckptlint[remote]'" in str(exc), exc
    else:
        raise AssertionError("no ImportError")
import pathlib
url = pathlib.Path.cwd().as_uri() + "/c.pt"
rt.save_checkpoint(url, model=model, epoch=0)
assert rt.load_checkpoint(url, model=model).next_epoch == 1
print("OK")
"""


def test_urls_without_fsspec_name_the_extra(tmp_path) -> None:
    proc = _run(NO_FSSPEC, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "OK"
