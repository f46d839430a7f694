"""ckptlint: find and fix PyTorch checkpointing pitfalls before the long run.

This module stays tiny and lazy: importing :mod:`ckptlint` (and so
:mod:`ckptlint.runtime` inside a training job) never imports libcst, click,
pygls or torch.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
