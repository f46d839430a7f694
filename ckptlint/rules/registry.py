"""The one explicit table of rules (tests check it against the rules package)."""

from __future__ import annotations

from typing import Dict, Optional, Tuple, Type

from ckptlint.rules.base import Rule
from ckptlint.rules.loading.ckpt201_load_without_map_location import LoadWithoutMapLocation
from ckptlint.rules.loading.ckpt202_load_without_weights_only import LoadWithoutWeightsOnly

RULES: Tuple[Type[Rule], ...] = (
    LoadWithoutMapLocation,
    LoadWithoutWeightsOnly,
)

BY_CODE: Dict[str, Type[Rule]] = {rule.code: rule for rule in RULES}
BY_NAME: Dict[str, Type[Rule]] = {rule.name: rule for rule in RULES}


def lookup(code_or_name: str) -> Optional[Type[Rule]]:
    """The rule with this code (any case) or kebab-case name."""
    return BY_CODE.get(code_or_name.upper()) or BY_NAME.get(code_or_name.lower())
