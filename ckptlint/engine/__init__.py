"""The engine.

Text in, findings out (no file I/O): `analysis` (lint_source, fix_source),
`runner` (parse once, the model, the rules, the suppression post-pass),
`fixer`, `prefilter`, `preflight` and `suppressions/` (the one comment
grammar). A run over files: `session/` (source kinds, process, pool,
add-noqa, the run's data), with `source` (read and write a file),
`discovery`, `selection`, `cache` and `baseline`.
"""
