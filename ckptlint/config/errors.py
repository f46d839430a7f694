"""The error every configuration problem raises (exit code 2, one line)."""


class ConfigError(Exception):
    """A configuration or selection problem; the message names the culprit."""
