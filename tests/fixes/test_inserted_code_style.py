"""Code a fix inserts follows the file (#18 part 3): an added import goes with the
file's other imports, inserted strings take the file's quotes, and a fix never
re-indents a line it does not own. Each test failed before the change it covers,
except the one marked as a guard."""

from __future__ import annotations

import json

from click.testing import CliRunner
from support import dedent, fix

from ckptlint.cli import cli
from ckptlint.rules.registry import lookup

RUNTIME = {"runtime": True}


def _fixed(source: str, code: str, unsafe: bool = False) -> str:
    rule = lookup(code)
    assert rule is not None
    outcome = fix(source, rules=[rule], table=RUNTIME, unsafe=unsafe)
    assert outcome.error is None and outcome.applied >= 1
    return outcome.text


def test_import_goes_after_the_header_not_between_an_import_and_its_use() -> None:
    source = """
        import warnings
        warnings.simplefilter("ignore")
        import torch


        def save(model):
            torch.save(model.state_dict(), "/tmp/m.pt")


        for epoch in range(3):  # CKPT109 needs a save that runs more than once (revision 2)
            save(model)
        """
    assert _fixed(source, "CKPT109").startswith(
        'import warnings\nwarnings.simplefilter("ignore")\nimport torch\nimport ckptlint.runtime\n\n'
    )


def test_import_goes_after_a_try_import_guard_and_the_imports_after_it() -> None:
    source = """
        import torch
        try:
            import apex
        except ImportError:
            apex = None
        import numpy as np


        def save(model):
            torch.save(model.state_dict(), "/tmp/m.pt")


        for epoch in range(3):  # CKPT109 needs a save that runs more than once (revision 2)
            save(model)
        """
    assert "import numpy as np\nimport ckptlint.runtime\n\n" in _fixed(source, "CKPT109")


def test_import_never_anchors_on_a_type_checking_block() -> None:
    source = """
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            from torch import Tensor
        import torch


        def save(model):
            torch.save(model.state_dict(), "/tmp/m.pt")


        for epoch in range(3):  # CKPT109 needs a save that runs more than once (revision 2)
            save(model)
        """
    assert "    from torch import Tensor\nimport torch\nimport ckptlint.runtime\n" in _fixed(source, "CKPT109")


def test_shebang_encoding_docstring_and_future_stay_first() -> None:
    source = """
        #!/usr/bin/env python
        # -*- coding: utf-8 -*-
        \"\"\"Train.\"\"\"
        from __future__ import annotations

        import warnings
        warnings.simplefilter("ignore")
        import torch

        while True:
            torch.save({}, "/tmp/m.pt")
        """
    assert _fixed(source, "CKPT109") == dedent(
        """
        #!/usr/bin/env python
        # -*- coding: utf-8 -*-
        \"\"\"Train.\"\"\"
        from __future__ import annotations

        import warnings
        warnings.simplefilter("ignore")
        import torch
        import ckptlint.runtime

        while True:
            ckptlint.runtime.atomic_save({}, "/tmp/m.pt")
        """
    )


def test_import_a_header_statement_needs_goes_before_that_statement() -> None:
    # A guard for the placement above (it also held before): the fix rewrites code
    # of the header itself, so its import must come before that line, not after
    # the header's last import.
    source = """
        import random
        import torch
        torch.manual_seed(0)
        import numpy as np
        x = random.random() + np.random.rand()
        """
    assert _fixed(source, "CKPT402").startswith(
        "import random\nimport torch\nimport ckptlint.runtime\nckptlint.runtime.seed_everything(0)\nimport numpy as np\n"
    )


def test_notebook_import_goes_after_the_first_cells_imports_not_before_a_magic(tmp_path, monkeypatch) -> None:
    notebook = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [],
             "source": ["import torch\n", "%matplotlib inline\n", "import numpy as np"]},
            {"cell_type": "code", "metadata": {}, "execution_count": 2, "outputs": [],
             "source": ["model = torch.nn.Linear(2, 2)\n", "for _ in range(3):\n", "    torch.save(model.state_dict(), '/tmp/m.pt')"]},
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.ckptlint]\nruntime = true\n")
    (tmp_path / "t.ipynb").write_text(json.dumps(notebook, indent=1))
    result = CliRunner().invoke(cli, ["check", "t.ipynb", "--select", "CKPT109", "--fix"])
    assert result.exit_code == 0, result.output
    cells = [cell["source"] for cell in json.loads((tmp_path / "t.ipynb").read_text())["cells"]]
    assert cells[0] == ["import torch\n", "%matplotlib inline\n", "import numpy as np\n", "import ckptlint.runtime"]
    assert cells[1][2].startswith("    ckptlint.runtime.atomic_save(")


def test_single_quoted_dict_gains_a_single_quoted_key() -> None:
    source = """
        import torch


        def main():
            model = torch.nn.Linear(2, 2)
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            if args.resume:
                state = torch.load('last.pt')
                model.load_state_dict(state['model'])
            torch.save({'model': model.state_dict(), 'epoch': 1}, 'last.pt')
        """
    fixed = _fixed(source, "CKPT102")
    assert "torch.save({'model': model.state_dict(), 'epoch': 1, 'optimizer': opt.state_dict()}, 'last.pt')" in fixed
    assert "        if 'optimizer' in state:\n            opt.load_state_dict(state['optimizer'])\n" in fixed


def test_single_quoted_file_gains_a_single_quoted_subscript_key() -> None:
    source = """
        import torch


        def main():
            model = torch.nn.Linear(2, 2)
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            if args.resume:
                state = torch.load('last.pt')
                opt.load_state_dict(state['optimizer'])
            ckpt = {'model': model.state_dict()}
            ckpt['optimizer'] = opt.state_dict()
            ckpt['epoch'] = 3
            torch.save(ckpt, 'last.pt')
        """
    fixed = _fixed(source, "CKPT104")
    assert "    ckpt['epoch'] = 3\n    ckpt['rng'] = ckptlint.runtime.capture_rng_state()\n" in fixed
    assert "        if 'rng' in state:\n            ckptlint.runtime.restore_rng_state(state['rng'])\n" in fixed


def test_a_fix_never_reindents_lines_it_does_not_own() -> None:
    # libcst renders `g`'s continued indentation as one line; wrapping the save in
    # `if` must not rewrite `g` (nor the comment above the save).
    source = """
        import torch
        import torch.distributed as dist


        def g():
            x = 1
            \\
            y = 2
            return x + y


        def main(m):
            dist.init_process_group("gloo")
            # save it
            torch.save(m.state_dict(), "/tmp/a.pt")
        """
    fixed = _fixed(source, "CKPT301", unsafe=True)
    assert "def g():\n    x = 1\n    \\\n    y = 2\n    return x + y\n" in fixed
    assert fixed.endswith(
        '    # save it\n    if ckptlint.runtime.is_main_process():\n        torch.save(m.state_dict(), "/tmp/a.pt")\n'
    )
