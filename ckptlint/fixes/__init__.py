"""Fixes: the edit model, the builders rules use, and import management."""

from ckptlint.fixes.model import Applicability, Edit, Fix, ImportEdit

__all__ = ["Applicability", "Edit", "Fix", "ImportEdit"]
