"""Paths and storage rules (CKPT5xx)."""
