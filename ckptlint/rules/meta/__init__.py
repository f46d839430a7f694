"""Meta rules about ckptlint's own suppression comments: CKPT0xx.

The engine computes these after suppressions (only it knows which comments
suppressed something); the classes here carry the code, name, documentation
and examples, so that selection, `ckptlint rule` and the docs treat them
like any other rule.
"""
