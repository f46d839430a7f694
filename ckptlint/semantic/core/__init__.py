"""The core of the semantic model: tree, scopes, names, bindings, positions, call graph, flows.

Nothing in `core` imports a fact module (`semantic/facts/`) or the model.
"""
