"""`ckptlint migrate` options: --in-place and its backup, --dry-run, folders, --trust and
--import, --rename, what cannot be repaired, unreadable paths, usage errors, no torch."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
import torch

from migrate_support import OLD_WAYS, Net, fresh, outputs, trained

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _write(path, case="ddp_prefix"):
    model, optimizer = trained()
    OLD_WAYS[case](str(path), model, optimizer)
    return model


def test_in_place_keeps_the_original_as_a_backup(tmp_path, run_migrate) -> None:
    _write(tmp_path / "c.pt")
    original = (tmp_path / "c.pt").read_bytes()
    code, out = run_migrate(tmp_path / "c.pt", "--in-place")
    assert code == 0 and f"backup      {tmp_path / 'c.pt.bak'}" in out, out
    assert (tmp_path / "c.pt.bak").read_bytes() == original
    assert "module.encoder.weight" not in torch.load(tmp_path / "c.pt", weights_only=True)["model"]
    (tmp_path / "c.pt").write_bytes(original)
    run_migrate(tmp_path / "c.pt", "--in-place")
    assert (tmp_path / "c.pt.bak.1").read_bytes() == original  # an earlier backup is never overwritten
    (tmp_path / "d.pt").write_bytes(original)
    assert run_migrate(tmp_path / "d.pt", "--in-place", "--no-backup")[0] == 0
    assert not (tmp_path / "d.pt.bak").exists()


def test_dry_run_writes_nothing_and_says_what_would_change(tmp_path, run_migrate) -> None:
    _write(tmp_path / "c.pt")
    before = sorted(os.listdir(tmp_path)), (tmp_path / "c.pt").read_bytes()
    code, out = run_migrate(tmp_path / "c.pt", "--dry-run")
    assert code == 0 and "c.pt: would migrate" in out and "removed the `module.` prefix" in out, out
    assert (sorted(os.listdir(tmp_path)), (tmp_path / "c.pt").read_bytes()) == before
    _write(tmp_path / "gaps.pt", "no_rng_no_counter")
    code, out = run_migrate(tmp_path / "gaps.pt", "--dry-run")
    assert code == 1 and "CKPT104 missing-rng-state" in out  # what the result would still lack


def test_a_folder_is_migrated_checkpoint_by_checkpoint(tmp_path, run_migrate) -> None:
    (tmp_path / "ckpts").mkdir()
    _write(tmp_path / "ckpts" / "a.pt")
    _write(tmp_path / "ckpts" / "b.pt", "namespaces_and_numpy")
    torch.save(fresh().state_dict(), tmp_path / "ckpts" / "clean.pt")
    (tmp_path / "ckpts" / "notes.txt").write_text("not a checkpoint")
    code, out = run_migrate(tmp_path / "ckpts", "--out", tmp_path / "new", "--allow-weights-only")
    assert code == 0, out
    assert sorted(os.listdir(tmp_path / "new" / "ckpts")) == ["a.pt", "b.pt", "clean.pt"]
    assert "3 checkpoints: 2 migrated, 1 unchanged; 3 clean afterwards" in out


def test_a_whole_pickled_model_needs_trust(tmp_path, run_migrate) -> None:
    model, _ = trained()
    torch.save(model, tmp_path / "model.pt")
    code, out = run_migrate(tmp_path / "model.pt", "--out", tmp_path / "out")
    assert code == 1 and "model.pt: needs --trust" in out and "migrate_support.Net" in out, out
    assert not (tmp_path / "out").exists()
    code, out = run_migrate(tmp_path / "model.pt", "--out", tmp_path / "out", "--trust",
                            "--allow-weights-only")
    assert code == 0, out
    assert "torch.load(weights_only=False) because of --trust: code from the file ran" in out
    assert "migrate_support.Net -> its state_dict(): the whole file" in out
    bare = fresh()
    bare.load_state_dict(torch.load(tmp_path / "out" / "model.pt", weights_only=True))
    assert torch.equal(outputs(bare), outputs(model))


MAIN_SCRIPT = textwrap.dedent("""
    import sys, torch
    from migrate_support import Net, trained
    class Wrapper(torch.nn.Module):  # defined in the script: pickled as __main__.Wrapper
        def __init__(self):
            super().__init__()
            self.net = trained()[0]
    if __name__ == "__main__":
        torch.save(torch.nn.parallel.DataParallel(Wrapper()), sys.argv[1])
""")


def test_classes_pickled_from_a_script_are_found_with_import(tmp_path, run_migrate, monkeypatch) -> None:
    (tmp_path / "train_script.py").write_text(MAIN_SCRIPT)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([REPO, os.path.dirname(__file__)]))
    subprocess.run([sys.executable, str(tmp_path / "train_script.py"), str(tmp_path / "m.pt")],
                   env=env, check=True, timeout=120, cwd=tmp_path)
    code, out = run_migrate(tmp_path / "m.pt", "--trust", "--dry-run")
    assert code == 1 and "could not be loaded" in out and "Wrapper" in out, out
    monkeypatch.syspath_prepend(str(tmp_path))
    code, out = run_migrate(tmp_path / "m.pt", "--trust", "--import", "train_script",
                            "--in-place", "--allow-weights-only")
    assert code == 0, out
    state = torch.load(tmp_path / "m.pt", weights_only=True)
    assert sorted(state)[0] == "net.encoder.bias"  # DataParallel unwrapped: no `module.`


def test_rename_loads_a_checkpoint_into_a_renamed_submodule(tmp_path, run_migrate) -> None:
    model = _write(tmp_path / "c.pt")
    code, out = run_migrate(tmp_path / "c.pt", "--in-place", "--rename", "encoder.=backbone.")
    assert code == 0 and "renamed 2 keys (--rename)" in out, out
    state = torch.load(tmp_path / "c.pt", weights_only=True)["model"]
    assert torch.equal(state["backbone.weight"], model.encoder.weight)
    assert run_migrate(tmp_path / "c.pt", "--in-place", "--rename", "oops")[0] == 2


class Opaque:
    """Not data, no state_dict: nothing to turn it into."""


def test_a_value_that_cannot_be_repaired_is_named_and_nothing_is_written(tmp_path, run_migrate) -> None:
    torch.save({"model": fresh().state_dict(), "thing": Opaque()}, tmp_path / "c.pt")
    code, out = run_migrate(tmp_path / "c.pt", "--out", tmp_path / "out", "--trust")
    assert code == 1 and "c.pt: not migrated" in out, out
    assert "`thing` is a test_migrate_options.Opaque" in out
    assert not (tmp_path / "out" / "c.pt").exists()


def test_unreadable_paths_exit_2(tmp_path, run_migrate) -> None:
    _write(tmp_path / "c.pt")
    data = (tmp_path / "c.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    code, out = run_migrate(tmp_path / "cut.pt", tmp_path / "missing.pt", tmp_path / "c.pt",
                            "--out", tmp_path / "out")
    assert code == 2 and "cut.pt: unreadable" in out and "missing.pt: unreadable" in out, out
    assert (tmp_path / "out" / "c.pt").exists()  # the readable one was still migrated


@pytest.mark.parametrize("args, message", [
    ([], "--out DIR or --in-place"),
    (["--out", "x", "--in-place"], "one of --out DIR and --in-place"),
    (["--out", "x", "--no-backup"], "--no-backup goes with --in-place"),
])
def test_usage_errors(tmp_path, run_migrate, args, message) -> None:
    code, out = run_migrate(tmp_path / "c.pt", *args)
    assert code == 2 and message in out


def test_without_torch_one_line_and_exit_2(tmp_path) -> None:
    script = ("import sys\nsys.modules['torch'] = None\nfrom ckptlint.cli import main\n"
              f"main(['migrate', {str(tmp_path / 'c.pt')!r}, '--dry-run'])\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, env=dict(os.environ, PYTHONPATH=REPO))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip() == ("ckptlint: error: `ckptlint migrate` needs PyTorch; install it "
                                   "with: pip install 'ckptlint[runtime]'")
