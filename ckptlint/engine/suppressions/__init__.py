"""Suppression comments: one grammar (`directives`), read once per file and
served to applying suppressions (`apply`), the CKPT001/CKPT002 checks
(`unused`) and the `# noqa` writer of `--add-noqa` and the editor (`writer`)."""
