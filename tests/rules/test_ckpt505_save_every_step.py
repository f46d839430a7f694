"""CKPT505 save-every-step (opt-in)."""

from __future__ import annotations

from support import codes, lint

from ckptlint.rules.paths.ckpt505_save_every_step import SaveEveryStep

RULES = [SaveEveryStep]

LOOP = (
    "import torch\n"
    "def train(model, optimizer, loader):\n"
    "    for batch in loader:\n"
    "        optimizer.zero_grad()\n"
    "        model(batch).sum().backward()\n"
    "        optimizer.step()\n"
)


def _body(body: str) -> str:
    return LOOP + "".join("        " + line + "\n" for line in body.splitlines())


def test_opt_in_only() -> None:
    code = _body('torch.save(model.state_dict(), "/ckpt/last.pt")')
    assert codes(code, table={"select": ["CKPT5"]}) == []
    assert codes(code, table={"select": ["save-every-step"]}) == ["CKPT505"]


def test_under_try_counts_under_if_or_except_does_not() -> None:
    assert codes(_body('try:\n    torch.save({}, "/c.pt")\nfinally:\n    pass'), rules=RULES) == ["CKPT505"]
    assert codes(_body('if optimizer:\n    torch.save({}, "/c.pt")'), rules=RULES) == []
    assert codes(_body('try:\n    pass\nexcept OSError:\n    torch.save({}, "/c.pt")'), rules=RULES) == []


def test_anchor_is_the_save() -> None:
    [finding] = lint(_body('torch.save({}, "/c.pt")'), rules=RULES)
    assert finding.span.line == 7
