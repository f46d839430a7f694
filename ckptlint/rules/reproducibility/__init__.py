"""Reproducibility rules (CKPT4xx)."""
