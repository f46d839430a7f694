"""CKPT502 save-dir-not-created."""

from __future__ import annotations

import libcst as cst
from support import codes, dedent, fix, lint

from ckptlint.rules.paths.ckpt502_save_dir_not_created import SaveDirNotCreated

RULES = [SaveDirNotCreated]


def test_any_directory_creation_in_the_module_silences() -> None:
    for creation in ("import os\nos.mkdir('other')\n", "from pathlib import Path\nPath('x').mkdir(exist_ok=True)\n"):
        assert codes(creation + "import torch\ntorch.save({}, 'ckpt/x.pt')\n", rules=RULES) == [], creation


def test_silent_without_a_visible_directory_part() -> None:
    code = "import os\nimport torch\ntorch.save({}, args.out)\ntorch.save({}, os.path.join(args.out, 'x.pt'))\ntorch.save({}, 'x.pt')\n"
    assert codes(code, rules=RULES) == []


def test_fix_reuses_an_existing_os_import_and_keeps_indentation() -> None:
    code = """
        import os
        import torch

        def save(model, epoch):
            if epoch % 10 == 0:
                torch.save(model.state_dict(), f"ckpt/e{epoch}.pt")
        """
    outcome = fix(code, rules=RULES)
    assert outcome.text == dedent(
        """
        import os
        import torch

        def save(model, epoch):
            if epoch % 10 == 0:
                os.makedirs(os.path.dirname(f"ckpt/e{epoch}.pt"), exist_ok=True)
                torch.save(model.state_dict(), f"ckpt/e{epoch}.pt")
        """
    )
    assert codes(outcome.text, rules=RULES) == []


def test_fix_imports_os_once_for_several_saves() -> None:
    code = "import torch\ntorch.save({}, 'a/x.pt')\ntorch.save({}, 'b/y.pt')\n"
    outcome = fix(code, rules=RULES)
    cst.parse_module(outcome.text)
    assert outcome.text.count("import os\n") == 1
    assert fix(outcome.text, rules=RULES).applied == 0


def test_no_fix_inside_a_one_line_if_or_comprehension() -> None:
    code = "import torch\nif ok: torch.save({}, 'a/x.pt')\n[torch.save({}, f'a/{i}.pt') for i in range(3)]\n"
    found = lint(code, rules=RULES)
    assert len(found) == 2 and all(d.fix is None for d in found)


def test_from_os_import_makedirs_is_reused() -> None:
    outcome = fix("from os import makedirs\nimport torch\ntorch.save({}, 'a/x.pt')\n", rules=RULES)
    assert "makedirs(os.path.dirname('a/x.pt'), exist_ok=True)" in outcome.text
    cst.parse_module(outcome.text)


def test_a_tensorboard_writer_creates_its_directory() -> None:
    # cleanrl's dqn.py: `SummaryWriter(f"runs/{run_name}")` makes the folder the model is saved into.
    code = """
        import torch
        from torch.utils.tensorboard import SummaryWriter
        writer = SummaryWriter(f"runs/{run_name}")
        model_path = f"runs/{run_name}/{exp_name}.cleanrl_model"
        torch.save({"model_weights": q_network.state_dict()}, model_path)
        """
    assert codes(code, rules=RULES) == []
    assert codes(code.replace("writer = SummaryWriter(f\"runs/{run_name}\")", "writer = None"), rules=RULES) == ["CKPT502"]
