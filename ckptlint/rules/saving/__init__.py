"""Saving rules (CKPT1xx)."""
