"""The package imports without torch, and calls then name the extra to install."""

from __future__ import annotations

import subprocess
import sys

from rt_procs import subprocess_env

SCRIPT = r"""
import sys
sys.modules["torch"] = None          # make "import torch" fail
import importlib, pkgutil
import ckptlint.runtime as rt
for module in pkgutil.iter_modules(rt.__path__):  # every module, new ones included
    importlib.import_module(f"ckptlint.runtime.{module.name}")
assert "torch" not in [m for m in sys.modules if sys.modules[m] is not None]
for mod in ("libcst", "click"):
    assert mod not in sys.modules, mod
assert rt.is_main_process() and rt.get_rank() == 0 and rt.get_world_size() == 1
rt.barrier()
calls = [lambda: rt.seed_everything(1), lambda: rt.capture_rng_state(),
         lambda: rt.atomic_save({}, "x.pt"), lambda: rt.make_generator(1)]
for call in calls:
    try:
        call()
    except ImportError as exc:
        assert "pip install 'ckptlint[runtime]'" in str(exc), exc
    else:
        raise AssertionError("no ImportError")
print("OK")
"""


def test_import_without_torch(tmp_path) -> None:
    proc = subprocess.run([sys.executable, "-c", SCRIPT], env=subprocess_env(), cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "OK"


def test_import_does_not_load_torch() -> None:
    code = "import sys, ckptlint.runtime; print('torch' in sys.modules, 'numpy' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], env=subprocess_env(),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "False"]


NO_NUMPY = r"""
import sys, tempfile
sys.modules["numpy"] = None          # numpy is optional
import warnings; warnings.simplefilter("ignore")
import torch
import ckptlint.runtime as rt
rt.seed_everything(1)
assert rt.capture_rng_state()["numpy"] is None
d = tempfile.mkdtemp()
model = torch.nn.Linear(2, 2)
rt.save_checkpoint(d + "/c.pt", model=model, epoch=0)
assert rt.load_checkpoint(d + "/c.pt", model=model).next_epoch == 1
print("OK")
"""


def test_works_without_numpy() -> None:
    proc = subprocess.run([sys.executable, "-c", NO_NUMPY], env=subprocess_env(),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "OK"
