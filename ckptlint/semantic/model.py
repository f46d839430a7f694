"""The semantic model: every fact a rule may read, computed once per file.

The model is built from the one parse of a file: one walk of the tree
(`core/tree.py`) gives parents, source order, scope owners and nodes by type;
the scopes, names and bindings are read off it. Each facet is computed
lazily, on first use, so the cost of a lint is the cost of what the selected
rules actually read; positions are computed only when something is reported.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Dict, FrozenSet, List, Mapping, Optional, Tuple

import libcst as cst

from ckptlint.config.settings import ProjectSettings
from ckptlint.diagnostics import Span
from ckptlint.semantic.core.bindings import Bindings
from ckptlint.semantic.calls import CallSite
from ckptlint.semantic.checkpoints import Checkpoints
from ckptlint.semantic.core.comments import Comment, CommentCollector
from ckptlint.semantic.distributed import DistributedFacts
from ckptlint.semantic.guards import Guards
from ckptlint.semantic.imports import ImportTable
from ckptlint.semantic.core.index import Index
from ckptlint.semantic.kinds import ObjectKinds
from ckptlint.semantic.loads import LoadFlows
from ckptlint.semantic.loops import Loops
from ckptlint.semantic.core.names import NameResolver
from ckptlint.semantic.core.positions import LineIndex
from ckptlint.semantic.core.scopes import Scopes
from ckptlint.semantic.core.spans import Positions
from ckptlint.semantic.core.tree import Tree
from ckptlint.semantic.resume import Resume
from ckptlint.semantic.saves import Saves
from ckptlint.semantic.core.walk import visit_tree

if TYPE_CHECKING:
    from ckptlint.semantic.fsdp import FsdpPolicy
    from ckptlint.semantic.dataloaders import DataLoaders
    from ckptlint.semantic.paths import PathFacts
    from ckptlint.semantic.seeding import Seeding


class SemanticModel:
    """Read-only facts about one module, shared by every rule."""

    def __init__(self, module: cst.Module, text: str) -> None:
        self.module = module
        self.text = text
        self.tree = Tree(module)
        self.scopes = Scopes(self.tree)
        self._names = NameResolver(self.scopes)
        self._code: Dict[int, str] = {}
        self._per_project: Dict[Tuple[str, ProjectSettings], object] = {}

    # -- names -------------------------------------------------------------
    def qualname(self, node: cst.CSTNode) -> Optional[str]:
        """The one qualified name of ``node``; None when unknown or ambiguous."""
        return self._names.qualname(node)

    def qualnames(self, node: cst.CSTNode) -> FrozenSet[str]:
        return self._names.qualnames(node)

    # -- structure ---------------------------------------------------------
    @cached_property
    def index(self) -> Index:
        return Index.build(self.tree)

    @property
    def parents(self) -> Mapping[cst.CSTNode, cst.CSTNode]:
        return self.tree.parents

    def reads_of_target(self, target: cst.Name) -> List[cst.Name]:
        """Every read of the variable that the assignment target ``target`` binds."""
        scope, _ = self.scopes.lookup(target)
        return self.scopes.reads_of(scope, target.value) if scope is not None else []

    @cached_property
    def imports(self) -> ImportTable:
        return ImportTable(self.module)

    # -- calls -------------------------------------------------------------
    @cached_property
    def _calls_by_name(self) -> Dict[str, List[CallSite]]:
        table: Dict[str, List[CallSite]] = {}
        statements = self.index.statement_calls
        for indexed in self.index.calls:
            name = self.qualname(indexed.node.func)
            if name is None:
                continue
            site = CallSite(
                node=indexed.node,
                qualname=name,
                function=indexed.function,
                class_def=indexed.class_def,
                is_expression_statement=id(indexed.node) in statements,
            )
            table.setdefault(name, []).append(site)
        return table

    def calls_under(self, *modules: str) -> List[CallSite]:
        """Call sites of any function of ``modules`` (`numpy.random.rand` for "numpy.random"), in source order."""
        names = [name for name in self._calls_by_name if name.rpartition(".")[0] in modules]
        return self.calls_to(*names) if names else []

    def calls_to(self, *qualnames: str) -> List[CallSite]:
        """Call sites of any of ``qualnames`` (canonical names), in source order."""
        sites = [site for name in qualnames for site in self._calls_by_name.get(name, ())]
        if len(qualnames) > 1:
            sites.sort(key=lambda s: self.tree.order[s.node])
        return sites

    # -- checkpoints (bindings, kinds, saves, contents) ---------------------
    @cached_property
    def bindings(self) -> Bindings:
        """Reaching bindings in statement order, and `self.x` per class."""
        return Bindings(self.tree, self.scopes)

    @cached_property
    def distributed(self) -> DistributedFacts:
        return DistributedFacts.build(self)

    def _for_project(self, facet: str, project: Optional[ProjectSettings], build):  # type: ignore[no-untyped-def]
        key = (facet, project or ProjectSettings())
        if key not in self._per_project:
            self._per_project[key] = build(key[1])
        return self._per_project[key]

    def kinds(self, project: Optional[ProjectSettings] = None) -> ObjectKinds:
        """What bindings are (model, optimizer...); project settings extend the lists."""
        return self._for_project("kinds", project, lambda p: ObjectKinds(self, p))

    def saves(self, project: Optional[ProjectSettings] = None) -> Saves:
        """Save sites: `torch.save`, same-file helpers and `save-functions`."""
        return self._for_project("saves", project, lambda p: Saves(self, p))

    def checkpoints(self, project: Optional[ProjectSettings] = None) -> Checkpoints:
        """What each save writes, and what is in scope there."""
        return self._for_project(
            "checkpoints", project, lambda p: Checkpoints(self, p, self.kinds(p), self.saves(p))
        )

    # -- reproducibility and paths -------------------------------------------
    @cached_property
    def seeding(self) -> "Seeding":
        """What the module seeds, its global RNG draws and cuDNN settings (CKPT4xx)."""
        from ckptlint.semantic.seeding import Seeding

        return Seeding(self)

    @cached_property
    def dataloaders(self) -> "DataLoaders":
        from ckptlint.semantic.dataloaders import DataLoaders

        return DataLoaders(self)

    def paths(self, project: Optional[ProjectSettings] = None) -> "PathFacts":
        """Path values of the saves, directory creation and deletions (CKPT5xx)."""
        from ckptlint.semantic.paths import PathFacts

        return self._for_project("paths", project, lambda p: PathFacts(self, self.saves(p).sites))

    # -- loads -------------------------------------------------------------
    @cached_property
    def load_flows(self) -> LoadFlows:
        return LoadFlows(self.parents, self.reads_of_target)

    # -- guards, loops, resume (CKPT2xx-3xx; CKPT5xx read loops) -------------
    def guards(self, project: Optional[ProjectSettings] = None) -> Guards:
        """Rank guards (with the project's `rank-guards`) and barriers."""
        return self._for_project("guards", project, lambda p: Guards(self, p))

    @cached_property
    def fsdp_policy(self) -> "FsdpPolicy":
        from ckptlint.semantic.fsdp import FsdpPolicy

        return FsdpPolicy.build(self)

    @cached_property
    def loops(self) -> Loops:
        """`for` loops: epoch loop, batch loops, enclosing loops, training steps."""
        return Loops(self)

    def resume(self, project: Optional[ProjectSettings] = None) -> Resume:
        """Load sites, what is read from them and what they restore."""
        return self._for_project("resume", project, lambda p: Resume(self, p))

    # -- positions ---------------------------------------------------------
    @cached_property
    def lines(self) -> LineIndex:
        return LineIndex(self.text)

    @cached_property
    def _positions(self) -> Positions:
        return Positions(self.module, self.lines)

    def span(self, node: cst.CSTNode) -> Span:
        return self._positions.span(node)

    @cached_property
    def comments(self) -> List[Comment]:
        """Every comment, in source order (computed only when suppressions are checked)."""
        collector = CommentCollector(self.module)
        visit_tree(self.module, collector)
        last_line = len(self.lines.starts)
        comments = []
        for node, own_line, block, in_header in collector.found:
            block_end = self.span(block).end_line if block is not None else last_line
            line = self.span(node).line
            comments.append(Comment(line, node.value, own_line, block_end, in_header))
        comments.sort(key=lambda c: c.line)
        return comments

    def code(self, node: cst.CSTNode) -> str:
        """The source text of ``node`` as written (a statement without its leading comment lines)."""
        key = id(node)
        found = self._code.get(key)
        if found is None:
            if isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
                span = self.span(node)
                found = self.text[span.start_offset : span.end_offset]
            else:
                found = self.module.code_for_node(node)
            self._code[key] = found
        return found
