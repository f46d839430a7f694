"""The rules: one stateless class per file, listed in `registry.RULES`."""
