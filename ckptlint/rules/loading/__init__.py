"""Loading and resuming rules: CKPT2xx."""
