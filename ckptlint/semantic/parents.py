"""Each node's parent, from one walk over the nodes' fields (see `walk.py`).

The same map as libcst's `ParentNodeProvider` (a test compares them on every
fixture and rule example), at a fraction of its cost.
"""

from __future__ import annotations

from typing import Dict

import libcst as cst

from ckptlint.semantic.walk import children


def parent_map(module: cst.Module) -> Dict[cst.CSTNode, cst.CSTNode]:
    """``{child: parent}`` for every node below ``module`` (nodes hash by identity)."""
    parents: Dict[cst.CSTNode, cst.CSTNode] = {}
    stack = [module]
    while stack:
        node = stack.pop()
        for child in children(node):
            parents[child] = node
            stack.append(child)
    return parents
