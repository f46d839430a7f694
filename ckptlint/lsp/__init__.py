"""The ckptlint language server (`ckptlint server`); needs the `lsp` extra (pygls, lsprotocol)."""
