"""CKPT501 relative-save-path."""

from __future__ import annotations

from support import codes, lint

from ckptlint.rules.paths.ckpt501_relative_save_path import RelativeSavePath

RULES = [RelativeSavePath]


def test_silent_for_an_argparse_path_with_a_relative_default() -> None:
    code = """
        import argparse
        import torch
        p = argparse.ArgumentParser()
        p.add_argument("--ckpt", default="checkpoints/last.pt")
        args = p.parse_args()
        torch.save({}, args.ckpt)
        """
    assert codes(code, rules=RULES) == []


def test_silent_for_home_paths_which_are_ckpt503s() -> None:
    assert codes("import torch\ntorch.save({}, '~/x.pt')\n", rules=RULES) == []


def test_silent_through_variables_and_formatting() -> None:
    code = "import torch\np = 'x.pt'\ntorch.save({}, p)\ntorch.save({}, 'e%d.pt' % 1)\ntorch.save({}, 'e{}.pt'.format(1))\ntorch.save({}, 'a' + p)\n"
    assert codes(code, rules=RULES) == []


def test_anchor_is_the_save_call() -> None:
    code = "import torch\n\ntorch.save(\n    {},\n    'last.pt',\n)\n"
    assert [(d.code, d.span.line) for d in lint(code, rules=RULES)] == [("CKPT501", 3)]


def test_file_objects_are_not_paths() -> None:
    assert codes("import torch\nwith open('x.pt', 'wb') as f:\n    torch.save({}, f)\n", rules=RULES) == []
