"""Configuration: `[tool.ckptlint]` parsed once into frozen settings."""

from ckptlint.config.errors import ConfigError

__all__ = ["ConfigError"]
