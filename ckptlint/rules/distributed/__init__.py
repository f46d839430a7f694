"""Distributed rules (CKPT3xx): rank guards, barriers, samplers, sharded state."""
