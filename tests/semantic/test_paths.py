"""Path values at save calls (CKPT5xx)."""

from __future__ import annotations

from test_seeding import model_of


def _values(code: str):
    model = model_of(code)
    return model, model.paths.values


def test_leading_literal_forms() -> None:
    model, values = _values(
        """
        import os
        import os.path as osp
        from pathlib import Path
        import torch
        torch.save(a, "ckpt/last.pt")
        torch.save(a, f"runs/{epoch}.pt")
        torch.save(a, osp.join("ckpt", "x.pt"))
        torch.save(a, Path("ckpt") / "x.pt")
        torch.save(a, "ckpt" + "/x.pt")
        torch.save(a, "ckpt_%d.pt" % 3)
        torch.save(a, f"{out}/x.pt")
        torch.save(a, os.path.expanduser("~/x.pt"))
        """
    )
    assert [v.relative for v in values] == [True, True, True, True, False, False, False, False]
    assert [v.home_rooted for v in values] == [False] * 7 + [True]


def test_home_literals() -> None:
    _, values = _values(
        """
        import torch
        torch.save(a, "/home/me/x.pt")
        torch.save(a, "/Users/me/x.pt")
        torch.save(a, "C:\\\\Users\\\\me\\\\x.pt")
        torch.save(a, "c:/users/me/x.pt")
        torch.save(a, "~")
        torch.save(a, "/homework/x.pt")
        """
    )
    assert [v.home_rooted for v in values] == [True, True, True, True, True, False]


def test_new_directory_needs_a_visible_relative_directory() -> None:
    _, values = _values(
        """
        import os
        import torch
        torch.save(a, "ckpt/last.pt")
        torch.save(a, "last.pt")
        torch.save(a, "./last.pt")
        torch.save(a, "/abs/dir/last.pt")
        torch.save(a, os.path.join(args.out, "sub", "x.pt"))
        torch.save(a, os.path.join("ckpt", name))
        torch.save(a, f"{out}/x.pt")
        torch.save(a, args.path)
        def f():
            p = "runs/x.pt"
            torch.save(a, p)
        """
    )
    assert [v.new_directory for v in values] == [True, False, False, False, False, True, False, False, True]


def test_loop_variables_in_the_name() -> None:
    _, values = _values(
        """
        import torch
        def train(loader):
            for epoch in range(3):
                for i, batch in enumerate(loader):
                    torch.save(a, "last.pt")
                path = f"ckpt_{epoch}.pt"
                torch.save(a, path)
            while True:
                torch.save(a, f"s{step}.pt")
            [torch.save(a, f"{k}.pt") for k in range(3)]
        """
    )
    assert [v.loop_variables for v in values] == [set(), {"epoch"}, set(), set()]


def test_directory_creation_and_deletion_anywhere_in_the_module() -> None:
    model, _ = _values("import torch\nfrom pathlib import Path\nPath('x').mkdir(parents=True)\n")
    assert model.paths.creates_directories
    model, _ = _values("import os\nos.makedirs('x')\n")
    assert model.paths.creates_directories
    model, _ = _values("import torch\ntorch.save(a, 'x/y.pt')\n")
    assert not model.paths.creates_directories and not model.paths.deletes_files
    for line in ("import os\nos.remove(p)\n", "import shutil\nshutil.rmtree(p)\n", "p.unlink()\n", "keep_last_checkpoints(d, 3)\n"):
        model, _ = _values(line)
        assert model.paths.deletes_files, line


def test_tilde_means_a_home_only_when_it_names_one() -> None:
    _, values = _values(
        """
        import torch
        torch.save(a, "~/x.pt")
        torch.save(a, "~alice/x.pt")
        torch.save(a, "~model.pt")
        """
    )
    assert [v.home_rooted for v in values] == [True, True, False]


def test_the_overwrite_check_binds_each_call_once_whatever_the_number_of_saves(monkeypatch) -> None:
    """CKPT109 asks each save whether a load of the same path sits in the other branch of an `if`
    around it. The loads are grouped by path once per module, and a call's arguments are bound once
    (each save used to bind every load of the module again: quadratic in a file of many saves)."""
    from ckptlint.semantic.core import calls

    bound = []
    original = calls.bind
    monkeypatch.setattr(calls, "bind", lambda call, signature: bound.append(call) or original(call, signature))
    blocks = "".join(
        f"def step_{i}(model, path):\n"
        "    for epoch in range(3):\n"
        f"        state = torch.load('in_{i}.pt')\n"
        f"        torch.save(model.state_dict(), 'out_{i}.pt')\n"
        for i in range(30)
    )
    model = model_of("import torch\n" + blocks)
    overwriting = [site for site in model.saves.path_sites if model.paths.overwrites(site)]
    assert len(overwriting) == 30
    loads = [call for call in bound if call.func.attr.value == "load"]
    assert len(loads) == len({id(call) for call in loads}) == 30
