"""Looking rules up in the generated table (`rules/metadata.py`) without importing them.

Selection, suppression comments, the summary and the reporters ask here for
a rule's code, name or fix class; only the analysis path imports rule
classes (`rules/registry.py`).
"""

from __future__ import annotations

from typing import Dict, Optional

from ckptlint.rules.info import RuleInfo
from ckptlint.rules.metadata import RULES

BY_CODE: Dict[str, RuleInfo] = {info.code: info for info in RULES}
BY_NAME: Dict[str, RuleInfo] = {info.name: info for info in RULES}


def find_info(code_or_name: str) -> Optional[RuleInfo]:
    """The rule with this code (any case) or kebab-case name."""
    return BY_CODE.get(code_or_name.upper()) or BY_NAME.get(code_or_name.lower())
