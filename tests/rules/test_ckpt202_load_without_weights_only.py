from __future__ import annotations

import pytest
from support import codes, fix, lint

from ckptlint.fixes.model import Applicability
from ckptlint.rules.loading.ckpt202_load_without_weights_only import LoadWithoutWeightsOnly

RULE = [LoadWithoutWeightsOnly]


@pytest.mark.parametrize("version, fires", [("2.0", True), ("2.5", True), ("2.6", False), ("2.13", False)])
def test_missing_weights_only_depends_on_target_version(version: str, fires: bool) -> None:
    code = "import torch as th\nth.load('a', map_location='cpu')\n"
    assert codes(code, rules=RULE, table={"target-torch-version": version}) == (["CKPT202"] if fires else [])


@pytest.mark.parametrize("version", ["2.0", "2.6", "2.13"])
def test_explicit_false_fires_at_any_version_without_fix(version: str) -> None:
    [d] = lint("from torch import load\nload('a', weights_only=False)\n", rules=RULE, table={"target-torch-version": version})
    assert d.fix is None and "weights_only=False" in d.message


@pytest.mark.parametrize(
    "code",
    [
        "import torch\ntorch.load('a', weights_only=True)\n",
        "import torch\ntorch.load('a', weights_only=flag)\n",  # not a literal False
        "import torch, dill\ntorch.load('a', pickle_module=dill)\n",
        "import torch, dill\ntorch.load('a', None, dill)\n",  # positional pickle_module
        "import torch, dill\ntorch.load('a', pickle_module=dill, weights_only=False)\n",
        "import torch\ndef f(**kw):\n    torch.load('a', **kw)\n",
        "import torch\ndef f(**kw):\n    torch.load('a', weights_only=False, **kw)\n",
        "import pickle\npickle.load(open('a', 'rb'))\n",
    ],
)
def test_silent(code: str) -> None:
    assert codes(code, rules=RULE) == []


def test_fix_is_unsafe() -> None:
    [d] = lint("import torch\ntorch.load('a')\n", rules=RULE)
    assert d.fix.applicability is Applicability.UNSAFE
    assert fix("import torch\ntorch.load('a')\n", rules=RULE).text == "import torch\ntorch.load('a')\n"
    assert fix("import torch\ntorch.load('a')\n", rules=RULE, unsafe=True).text == "import torch\ntorch.load('a', weights_only=True)\n"


def test_target_version_from_declared_dependencies(tmp_path) -> None:
    from ckptlint.config.loader import load_settings

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["torch>=2.6,<3"]\n')
    assert load_settings(str(tmp_path)).project.target_torch_version == (2, 6)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["torch~=2.4.1"]\n')
    assert load_settings(str(tmp_path)).project.target_torch_version == (2, 4)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["numpy"]\n')
    assert load_settings(str(tmp_path)).project.target_torch_version == (2, 0)


def _no_fix_because(code: str) -> str:
    [d] = lint(code, rules=RULE)
    assert d.fix is None
    return d.message


def test_no_fix_when_a_list_the_checkpoint_holds_is_appended_numpy_values() -> None:
    message = _no_fix_because(
        """
        import numpy as np
        import torch

        class Trainer:
            def __init__(self):
                self.losses = []

            def epoch(self, batch_losses):
                self.losses.append(np.mean(batch_losses))

            def save_checkpoint(self, fname):
                torch.save({"model": self.model.state_dict(), "plot_stuff": (self.losses, self.epoch_n)}, fname)

            def load_checkpoint(self, fname):
                saved = torch.load(fname, map_location="cpu")
                self.model.load_state_dict(saved["model"])
        """
    )
    assert '`"plot_stuff": (self.losses, self.epoch_n)` (a numpy value, from `np.mean(batch_losses)`)' in message


def test_no_fix_when_a_branch_of_the_saved_dict_holds_a_version_object() -> None:
    message = _no_fix_because(
        """
        import torch
        from packaging import version

        class Trainer:
            def save(self, path):
                obj = dict(model=self.model.state_dict(), version=version.parse("1.0"))
                if self.ema:
                    obj = {**obj, "ema": self.ema.state_dict()}
                torch.save(obj, str(path))

            def load(self, path):
                loaded = torch.load(str(path), map_location="cpu")
                self.model.load_state_dict(loaded["model"])
        """
    )
    assert "packaging.version.Version, from `version.parse(\"1.0\")`" in message


def test_no_fix_when_the_load_or_another_load_of_the_file_uses_an_object() -> None:
    code = """
        import torch

        def train(weights, resume):
            ckpt = torch.load(weights, map_location="cpu")
            model = Model(ckpt["model"].yaml)  # a pickled model: weights_only=True refuses the file
            if resume:
                opt = torch.load(weights, map_location="cpu")["opt"]
            torch.save({"model": model, "opt": vars(args)}, weights)
        """
    found = lint(code, rules=RULE)
    assert [d.fix for d in found] == [None, None]
    assert "it uses what it loads as an object" in found[0].message
    assert "the load in `train` of the same file uses what it loads as an object" in found[1].message
    assert "`r_max`" not in _no_fix_because(
        "import torch\nfoundation = torch.load(path, map_location='cpu')\nprint(foundation.r_max.item())\n"
    )
