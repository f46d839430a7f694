"""CKPT503 machine-specific-path."""

from __future__ import annotations

from support import codes

from ckptlint.rules.paths.ckpt503_machine_specific_path import MachineSpecificPath

RULES = [MachineSpecificPath]


def test_windows_user_folder_counts_on_every_os() -> None:
    assert codes('import torch\ntorch.save({}, "D:\\\\Users\\\\me\\\\x.pt")\n', rules=RULES) == ["CKPT503"]


def test_expanduser_counts_and_path_home_does_not() -> None:
    code = "import os\nimport torch\nfrom pathlib import Path\ntorch.save({}, os.path.expanduser('~/x.pt'))\ntorch.save({}, Path.home() / 'x.pt')\n"
    assert codes(code, rules=RULES) == ["CKPT503"]


def test_home_in_a_default_is_not_at_the_save() -> None:
    code = "import torch\ndef save(obj, path='/home/me/x.pt'):\n    torch.save(obj, path)\nsave({})\n"
    assert codes(code, rules=RULES) == []
