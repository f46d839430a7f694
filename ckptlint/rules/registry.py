"""The one explicit table of rules (tests check it against the rules package)."""

from __future__ import annotations

from typing import Dict, Optional, Tuple, Type

from ckptlint.rules.base import Rule
from ckptlint.rules.loading.ckpt201_load_without_map_location import LoadWithoutMapLocation
from ckptlint.rules.loading.ckpt202_load_without_weights_only import LoadWithoutWeightsOnly
from ckptlint.rules.saving.ckpt101_save_whole_model import SaveWholeModel
from ckptlint.rules.saving.ckpt102_missing_optimizer_state import MissingOptimizerState
from ckptlint.rules.saving.ckpt103_missing_scheduler_state import MissingSchedulerState
from ckptlint.rules.saving.ckpt105_missing_scaler_state import MissingScalerState

RULES: Tuple[Type[Rule], ...] = (
    SaveWholeModel,
    MissingOptimizerState,
    MissingSchedulerState,
    MissingScalerState,
    LoadWithoutMapLocation,
    LoadWithoutWeightsOnly,
)

BY_CODE: Dict[str, Type[Rule]] = {rule.code: rule for rule in RULES}
BY_NAME: Dict[str, Type[Rule]] = {rule.name: rule for rule in RULES}


def lookup(code_or_name: str) -> Optional[Type[Rule]]:
    """The rule with this code (any case) or kebab-case name."""
    return BY_CODE.get(code_or_name.upper()) or BY_NAME.get(code_or_name.lower())
