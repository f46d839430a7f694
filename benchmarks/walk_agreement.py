"""ckptlint's own tree walks agree with libcst's visitors on real code.

    python benchmarks/build_corpus.py                # once
    python benchmarks/walk_agreement.py [--every 1]

The semantic model builds its parent map and call index by walking the nodes'
fields (`ckptlint/semantic/walk.py`) instead of running libcst's visitor
machinery. For every corpus file (or every k-th), both must equal what
libcst's `ParentNodeProvider` and a plain `CSTVisitor` give: the same
visit calls in the same order, the same parent for every node (but the layout
leaves the walk skips), the same
calls with the same enclosing function and class. Run it after upgrading libcst. Exit status 0 when all agree.
"""

from __future__ import annotations

import argparse
import os
import sys

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider

from bench_lint import HERE, REPO, corpus_files

sys.path[:0] = [os.path.join(REPO, "tests"), os.path.join(REPO, "tests", "semantic")]
from test_walk import Recorder, ReferenceIndexer, walk_order  # noqa: E402

from ckptlint.semantic.core.index import Index  # noqa: E402
from ckptlint.semantic.core.tree import LAYOUT_LEAVES, Tree  # noqa: E402


def differences(module: cst.Module) -> list:
    found = []
    reference = ReferenceIndexer()
    module.visit(reference)
    index = Index.build(Tree(module))
    calls = [(id(c.node), id(c.function), id(c.class_def)) for c in index.calls]
    if calls != reference.calls or index.statement_calls != reference.statement_calls:
        found.append("call index")
    expected_order = Recorder()
    module.visit(expected_order)
    if walk_order(module) != expected_order.visited:
        found.append("walk order")
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ParentNodeProvider)
    expected_parents = {id(c): id(p) for c, p in expected.items() if not isinstance(c, LAYOUT_LEAVES)}
    if {id(c): id(p) for c, p in Tree(module).edges()} != expected_parents:
        found.append("parent map")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default=os.path.join(HERE, "corpus"))
    parser.add_argument("--every", type=int, default=1, help="check every k-th file")
    args = parser.parse_args()
    files = corpus_files(args.corpus)[:: args.every]
    checked = failed = 0
    for path in files:
        try:
            with open(path, encoding="utf-8") as handle:
                module = cst.parse_module(handle.read())
        except Exception:
            continue
        checked += 1
        for what in differences(module):
            failed += 1
            print(f"{path}: {what} differs")
    print(f"{checked} files checked, {failed} differences")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
