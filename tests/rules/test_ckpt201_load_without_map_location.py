from __future__ import annotations

import pytest
from support import codes, fix, lint

from ckptlint.fixes.model import Applicability
from ckptlint.rules.loading.ckpt201_load_without_map_location import LoadWithoutMapLocation

RULE = [LoadWithoutMapLocation]


@pytest.mark.parametrize(
    "code",
    [
        "import torch\ntorch.load('a.pt')\n",
        "import torch as th\nth.load('a.pt')\n",
        "from torch import load\nload('a.pt')\n",
        "from torch import load as L\nL('a.pt')\n",
        "import torch.serialization\ntorch.serialization.load('a.pt')\n",
        "from torch.serialization import load\nload('a.pt')\n",
        "import torch\ndef f():\n    import torch as t2\n    return t2.load('a.pt')\n",
        "import torch\nclass Trainer:\n    def resume(self, path):\n        self.state = torch.load(path)\n",
    ],
)
def test_fires_through_every_import_form(code: str) -> None:
    assert codes(code, rules=RULE) == ["CKPT201"]


@pytest.mark.parametrize(
    "code",
    [
        "import torch\ntorch.load('a.pt', map_location='cpu')\n",
        "import torch\ntorch.load('a.pt', 'cpu')\n",  # positional map_location
        "import torch\ndef f(**kw):\n    torch.load('a.pt', **kw)\n",
        "import torch\ndef f(*a):\n    torch.load('a.pt', *a)\n",  # *args may carry it
        "import pickle\npickle.load(open('a', 'rb'))\n",
        "import torch\ndef load(p):\n    return p\nload('a.pt')\n",  # a user's own load
        "import numpy as np\nnp.load('a.npy')\n",
        "import torch\ntorch = None\n",
        # an ambiguous binding: two different modules under one name
        "import sys\nif sys.argv:\n    import numpy as t\nelse:\n    import torch as t\nt.load('a')\n",
    ],
)
def test_silent(code: str) -> None:
    assert codes(code, rules=RULE) == []


def test_user_variable_named_torch_is_not_torch() -> None:
    code = "import os\nclass Loader:\n    def load(self, p): return p\ntorch = Loader()\ntorch.load('a')\n"
    assert codes(code, rules=RULE) == []


def test_fix_is_safe_only_when_result_restores_state() -> None:
    safe = lint("import torch\nsd = torch.load('a')\nm.load_state_dict(sd)\nopt.load_state_dict(sd['o'])\n", rules=RULE)
    assert safe[0].fix.applicability is Applicability.SAFE
    for code in [
        "import torch\nsd = torch.load('a')\nreturn_value = sd['w'].cuda()\n",
        "import torch\ndef f():\n    return torch.load('a')\n",
        "import torch\nclass T:\n    def f(self):\n        self.sd = torch.load('a')\n",
        "import torch\nsd = torch.load('a')\nfor k in sd:\n    print(k)\n",
    ]:
        assert lint(code, rules=RULE)[0].fix.applicability is Applicability.UNSAFE, code


def test_columns_are_code_points_after_non_ascii_text() -> None:
    code = "import torch\nnote = 'éè🙂'; sd = torch.load('a')\n"
    [diagnostic] = lint(code, rules=RULE)
    line = code.splitlines()[1]
    assert diagnostic.span.line == 2
    assert diagnostic.span.column == line.index("torch.load") + 1  # code points, 1-based


def test_fix_keeps_multiline_layout_and_trailing_comma() -> None:
    code = "import torch\ndef f(p):\n    m.load_state_dict(\n        torch.load(\n            p,\n        )\n    )\n"
    outcome = fix(code, rules=RULE)
    assert outcome.text == (
        "import torch\ndef f(p):\n    m.load_state_dict(\n        torch.load(\n            p,\n"
        '            map_location="cpu",\n        )\n    )\n'
    )


def test_fix_on_crlf_file_keeps_crlf() -> None:
    code = "import torch\r\nm.load_state_dict(torch.load(\r\n    'a'\r\n))\r\n"
    outcome = fix(code, rules=RULE)
    assert outcome.text == "import torch\r\nm.load_state_dict(torch.load(\r\n    'a',\r\n    map_location='cpu'\r\n))\r\n"


def test_fix_is_idempotent_and_minimal() -> None:
    code = "import torch\n\nx = 1\nm.load_state_dict(torch.load('a'))\ny = 2\n"
    first = fix(code, rules=RULE)
    assert first.applied == 1
    changed = [(a, b) for a, b in zip(code.splitlines(), first.text.splitlines()) if a != b]
    assert changed == [("m.load_state_dict(torch.load('a'))", "m.load_state_dict(torch.load('a', map_location='cpu'))")]
    assert fix(first.text, rules=RULE).applied == 0
