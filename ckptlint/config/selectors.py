"""Rule selection with ruff's semantics.

A selector is `ALL`, a code (`CKPT201`), a code prefix (`CKPT2`) or a rule
name (`load-without-map-location`). Within one layer (the config file, then
the command line) the most specific matching selector wins, and an ignore
beats a select of equal specificity. A layer with `select` starts afresh;
one without it adjusts the previous result. Opt-in rules are enabled only by
their exact code or name, or by `ALL`; a prefix never enables them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, FrozenSet, Iterable, Optional, Sequence, Tuple

from ckptlint.config.errors import ConfigError
from ckptlint.rules.metadata import RULES

# Selection reads rule metadata only (code, name, opt_in): the generated table,
# not the rule classes, so that loading a configuration never imports libcst.
# Tests may pass their own rule classes, which have the same attributes.
Rule = Any
BY_CODE = {rule.code: rule for rule in RULES}
BY_NAME = {rule.name: rule for rule in RULES}

EXACT = 1000


@dataclass(frozen=True)
class Selector:
    text: str

    def specificity(self, rule: Rule) -> Optional[int]:
        """How specifically this selector matches ``rule`` (None: no match)."""
        text = self.text
        if text == "ALL":
            return 0
        if text.upper() == rule.code or text.lower() == rule.name:
            return EXACT
        if rule.code.startswith(text.upper()):
            return len(text)
        return None

    def enables(self, rule: Rule) -> Optional[int]:
        specificity = self.specificity(rule)
        if specificity is None:
            return None
        if rule.opt_in and 0 < specificity < EXACT:
            return None  # a prefix never turns on an opt-in rule
        return specificity


def parse_selector(text: str, where: str) -> Selector:
    text = text.strip()
    if text == "ALL" or text.upper() in BY_CODE or text.lower() in BY_NAME:
        return Selector(text)
    if text.upper().startswith("CKPT") and any(code.startswith(text.upper()) for code in BY_CODE):
        return Selector(text)
    raise ConfigError(f"{where}: unknown rule selector `{text}`")


def parse_selectors(values: Iterable[str], where: str) -> Tuple[Selector, ...]:
    return tuple(parse_selector(value, where) for value in values)


@dataclass(frozen=True)
class SelectionLayer:
    select: Optional[Tuple[Selector, ...]] = None
    extend_select: Tuple[Selector, ...] = ()
    ignore: Tuple[Selector, ...] = ()


def _best(selectors: Sequence[Selector], rule: Rule, enabling: bool) -> Optional[int]:
    scores = [
        s.enables(rule) if enabling else s.specificity(rule) for s in selectors
    ]
    present = [score for score in scores if score is not None]
    return max(present) if present else None


def resolve(layers: Sequence[SelectionLayer], rules: Sequence[Rule] = RULES) -> FrozenSet[str]:
    """The codes enabled after applying ``layers`` in order to the defaults."""
    enabled = {rule.code for rule in rules if not rule.opt_in}
    for layer in layers:
        starting = set() if layer.select is not None else set(enabled)
        selects = (layer.select or ()) + layer.extend_select
        for rule in rules:
            chosen = _best(selects, rule, enabling=True)
            ignored = _best(layer.ignore, rule, enabling=False)
            if chosen is not None and (ignored is None or chosen > ignored):
                starting.add(rule.code)
            elif ignored is not None:
                starting.discard(rule.code)
        enabled = starting
    return frozenset(enabled)


def codes_matching(selectors: Iterable[Selector], rules: Sequence[Rule] = RULES) -> FrozenSet[str]:
    """Codes any selector matches (used by per-file ignores: prefixes match opt-in rules too)."""
    return frozenset(
        rule.code for rule in rules for s in selectors if s.specificity(rule) is not None
    )
