"""The core of one module's model: what every fact is built from.

One parse, one walk (`tree.py`); the scopes, names, bindings, call graph and
value flows are read off it, each on first use; positions only when
something is reported. The project's settings are bound here, once, so no
fact or rule passes them around. Facts (`semantic/facts/`) receive this core
and the other facts they need; the core never imports a fact.
"""

from __future__ import annotations

from functools import cached_property
from typing import Dict, FrozenSet, List, Optional, Tuple

import libcst as cst

from ckptlint.config.settings import ProjectSettings
from ckptlint.diagnostics import Span
from ckptlint.semantic.core.bindings import Binding, Bindings
from ckptlint.semantic.core.callgraph import CallGraph, is_super
from ckptlint.semantic.core.calls import CallSite
from ckptlint.semantic.core.comments import Comment, comments_of
from ckptlint.semantic.core.flows import Flows
from ckptlint.semantic.core.imports import ImportTable
from ckptlint.semantic.core.index import Index
from ckptlint.semantic.core.names import LOCAL_PREFIX, NameResolver
from ckptlint.semantic.core.positions import LineIndex
from ckptlint.semantic.core.scopes import Scopes
from ckptlint.semantic.core.source_map import SourceMap
from ckptlint.semantic.core.spans import Positions
from ckptlint.semantic.core.summary import ClassSummary, FunctionSummary, ProjectView, Symbol
from ckptlint.semantic.core.tree import Tree
from ckptlint.semantic.data import catalog
from ckptlint.semantic.data.aliases import canonical


class ModuleCore:
    """Read-only structure, names and flows of one module."""

    def __init__(
        self,
        module: cst.Module,
        text: str,
        project: Optional[ProjectSettings] = None,
        view: Optional[ProjectView] = None,
    ) -> None:
        self.module = module
        self.text = text
        self.project = project or ProjectSettings()
        self.view = view  # the other modules of the project (None: this text alone)
        self.tree = Tree(module)
        self.scopes = Scopes(self.tree)
        self._names = NameResolver(self.scopes)
        self._code: Dict[int, str] = {}
        # the other module's function each call runs, asked of most calls by several facts
        self._external_calls: Dict[int, Optional[Tuple[FunctionSummary, bool]]] = {}

    # -- names -------------------------------------------------------------
    def qualname(self, node: cst.CSTNode) -> Optional[str]:
        """The one qualified name of ``node``; None when unknown or ambiguous."""
        return self._names.qualname(node)

    def qualnames(self, node: cst.CSTNode) -> FrozenSet[str]:
        return self._names.qualnames(node)

    # -- structure ---------------------------------------------------------
    def parent(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        """The node ``node`` is a child of (None for the module)."""
        return self.tree.parent(node)

    @cached_property
    def index(self) -> Index:
        return Index.build(self.tree)

    @cached_property
    def imports(self) -> ImportTable:
        return ImportTable(self.module)

    @cached_property
    def bindings(self) -> Bindings:
        """Reaching bindings in statement order, and `self.x` per class."""
        return Bindings(self.tree, self.scopes)

    @cached_property
    def callgraph(self) -> CallGraph:
        """Which same-file function a call runs, and who calls each function."""
        return CallGraph(self.tree, self.scopes, self.bindings)

    @cached_property
    def flows(self) -> Flows:
        """Where a value goes: through names, returns and parameters."""
        return Flows(self.tree, self.scopes, self.bindings, self.callgraph)

    def reads_of_target(self, target: cst.Name) -> List[cst.Name]:
        """Every read of the variable that the assignment target ``target`` binds."""
        scope, _ = self.scopes.lookup(target)
        return self.scopes.reads_of(scope, target.value) if scope is not None else []

    # -- the other modules of the project ---------------------------------------
    def external(self, expr: cst.BaseExpression) -> Optional[Symbol]:
        """The project function, class or object of another module that ``expr`` names."""
        if self.view is None:
            return None
        name = self.qualname(expr)
        if name is None or name.startswith((LOCAL_PREFIX, "builtins.")):
            return None
        return self.view.resolve(name)

    def external_may_involve(self, call: cst.Call, words: FrozenSet[str]) -> bool:
        """Whether the function of another project module ``call`` may run (as `external_function`
        finds it) has code, or reaches code, that holds one of ``words``. False only when it
        cannot: a fact read off those words (a save, a seeding call) then cannot hold of it, and
        no summary is built to tell (`ProjectView.may_give`)."""
        if self.view is None:
            return False
        name = self.qualname(call.func)
        if name is not None and not name.startswith((LOCAL_PREFIX, "builtins.")) and self.view.may_give(name, words):
            return True
        method = self._instance_method(call) or self._inherited_method(call)  # `trainer.fit()`, `self.fit()`
        return method is not None and self.view.may_give(method, words)

    def external_function_involving(self, call: cst.Call, words: FrozenSet[str]) -> Optional[FunctionSummary]:
        """`external_function`, asked only where the function's code may hold one of ``words``
        (`external_may_involve`): the facts read off those words, without building the summary of
        a function that cannot have them."""
        return self.external_function(call) if self.external_may_involve(call, words) else None

    def external_function(self, call: cst.Call) -> Optional[FunctionSummary]:
        """The function of another project module that ``call`` runs: a function, a class's
        `__init__`, or a method of an instance of another module's class (`trainer.fit()`)."""
        found = self._external_call(call)
        return found[0] if found is not None else None

    def external_arguments(self, call: cst.Call) -> Dict[str, cst.BaseExpression]:
        """``call``'s arguments by the parameter names of the other module's function it runs
        (a method's `self` skipped); what a `*args` / `**kwargs` may supply is left out."""
        found = self._external_call(call)
        if found is None:
            return {}
        summary, binds_self = found
        params = summary.params[1:] if binds_self else summary.params
        bound: Dict[str, cst.BaseExpression] = {}
        for index, arg in enumerate(call.args):
            if arg.star:
                break
            if arg.keyword is not None:
                bound[arg.keyword.value] = arg.value
            elif index < len(params):
                bound[params[index]] = arg.value
        return bound

    def _external_call(self, call: cst.Call) -> Optional[Tuple[FunctionSummary, bool]]:
        if self.view is None:
            return None
        key = id(call)
        if key not in self._external_calls:
            self._external_calls[key] = self._resolve_external_call(call)
        return self._external_calls[key]

    def _resolve_external_call(self, call: cst.Call) -> Optional[Tuple[FunctionSummary, bool]]:
        symbol = self.external(call.func)
        if isinstance(symbol, FunctionSummary):
            return symbol, False
        if isinstance(symbol, ClassSummary):
            init: Optional[Symbol] = symbol.methods.get("__init__")
            if init is None and symbol.base is not None and self.view is not None:
                init = self.view.resolve(f"{self.qualname(call.func)}.__init__")  # its base's
            return (init, True) if isinstance(init, FunctionSummary) else None
        method = self._instance_method(call) or self._inherited_method(call)
        symbol = self.view.resolve(method) if method is not None and self.view is not None else None
        return (symbol, True) if isinstance(symbol, FunctionSummary) else None

    def _instance_method(self, call: cst.Call) -> Optional[str]:
        """`trainer.fit(...)` after `trainer = Trainer(...)` with `Trainer` of another module: the
        qualified name `<Trainer's>.fit` (the view finds it in the class, or in the class it derives from)."""
        func = call.func
        if not isinstance(func, cst.Attribute) or not isinstance(func.value, cst.Name):
            return None
        binding = self.bindings.reaching(func.value.value, func.value)
        value = binding.value if binding is not None else None
        owner = self.qualname(value.func) if isinstance(value, cst.Call) else None
        if owner is None or owner.startswith((LOCAL_PREFIX, "builtins.")):
            return None
        return f"{owner}.{func.attr.value}"

    def _inherited_method(self, call: cst.Call) -> Optional[str]:
        """The qualified name of the method of another module's class that ``call`` runs through
        inheritance: `self.persist(...)` (or `trainer.persist(...)`, `super().persist(...)`, or
        `Trainer(...)` for its `__init__`) where this file's class finds no `persist` of its own
        or of its same-file bases, and derives from exactly one class of another project module.
        Only where that is the whole story: every base on the way is this file's or that one
        class (a base of torch's, or a second one of the project, may define the method first)."""
        if self.view is None:
            return None
        func = call.func
        through_super = False
        if isinstance(func, cst.Attribute):
            name = func.attr.value
            receiver = func.value
            through_super = is_super(receiver)
            if through_super:
                enclosing = self.tree.enclosing(call, (cst.ClassDef,))
                local = enclosing if isinstance(enclosing, cst.ClassDef) else None
            else:
                local = self.callgraph.instance_class(receiver)
        else:
            target = self.callgraph.target(call)
            local, name = (target, "__init__") if isinstance(target, cst.ClassDef) else (None, "")
        if local is None or self.callgraph.method(local, name, skip_own=through_super) is not None:
            return None
        external = self.external_base(local)
        return f"{external}.{name}" if external is not None else None

    def external_base(self, class_def: cst.ClassDef) -> Optional[str]:
        """The qualified name of the one class of another module that ``class_def`` derives from,
        when every other base on the way is a class of this file (read off the names alone: the
        gates ask this before any summary is built)."""
        found: List[str] = []
        for owner in self.callgraph.bases(class_def):
            for base in owner.bases:
                if base.star:
                    return None  # `class C(*bases)`: which classes, in which order, is unknown
                if base.keyword is not None:
                    continue  # `metaclass=...`
                if isinstance(base.value, cst.Name) and isinstance(self.callgraph.definition(base.value), cst.ClassDef):
                    continue  # this file's: `callgraph.bases` has it
                qualified = self.qualname(base.value)
                if qualified == "builtins.object":
                    continue
                if qualified is None or qualified.startswith(LOCAL_PREFIX):
                    return None
                found.append(qualified)  # torch's `nn.Module` too: it then resolves to nothing
        return found[0] if len(set(found)) == 1 else None

    # -- instances of imported classes ---------------------------------------
    def instance_type(self, expr: cst.BaseExpression) -> Optional[str]:
        """The imported class ``expr`` is an instance of (`accelerate.Accelerator` for
        `accelerator` after `accelerator = Accelerator()`, or for `self.accelerator` when every
        assignment of it in the class agrees, or for a parameter annotated with it)."""
        if isinstance(expr, cst.Name):
            return self._binding_type(self.bindings.reaching(expr.value, expr))
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
            function = self.tree.enclosing_function(expr)
            if function is None or self.callgraph.self_name(function) != expr.value.value:
                return None
            class_def = self.tree.class_of(function)
            types = {
                self._binding_type(b)
                for owner in self.callgraph.bases(class_def)  # type: ignore[arg-type]
                for b in self.bindings.attribute_bindings(owner, expr.attr.value)
                if not (isinstance(b.value, cst.Name) and b.value.value == "None")
            }
            return next(iter(types)) if len(types) == 1 else None
        return None

    def _binding_type(self, binding: Optional[Binding], depth: int = 0) -> Optional[str]:
        if binding is None:
            return None
        if isinstance(binding.value, cst.Call):
            name = self.qualname(binding.value.func)
        elif binding.annotation is not None:
            name = self.qualname(binding.annotation)
        elif binding.is_parameter and isinstance(binding.node, cst.Param) and depth < 3:
            return self._passed_type(binding.node, depth)
        else:
            return None
        if name is None or name.startswith(LOCAL_PREFIX) or not name.rsplit(".", 1)[-1][:1].isupper():
            return None
        return name

    def _passed_type(self, param: cst.Param, depth: int) -> Optional[str]:
        """The imported class every same-file call passes for ``param`` (`fabric` handed down)."""
        function = self.tree.parent(self.tree.parent(param))
        if not isinstance(function, cst.FunctionDef):
            return None
        types = set()
        for call in self.callgraph.callers(function):
            bound = self.callgraph.bind(call, function)
            value = bound.value(param.name.value) if bound is not None else None
            if not isinstance(value, cst.Name):
                return None
            types.add(self._binding_type(self.bindings.reaching(value.value, value), depth + 1))
        return next(iter(types)) if len(types) == 1 else None

    def _method_name(self, call: cst.Call) -> Optional[str]:
        """`accelerate.Accelerator.save` for `accelerator.save(...)` (only for the methods the catalog names)."""
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in catalog.INSTANCE_METHOD_NAMES:
            return None
        owner = self.instance_type(func.value)
        return canonical(f"{owner}.{func.attr.value}") if owner is not None else None

    # -- calls -------------------------------------------------------------
    @cached_property
    def _calls_by_name(self) -> Dict[str, List[CallSite]]:
        table: Dict[str, List[CallSite]] = {}
        statements = self.index.statement_calls
        for indexed in self.index.calls:
            name = self.qualname(indexed.node.func)
            if name is None or name.startswith(LOCAL_PREFIX):
                name = self._method_name(indexed.node) or name
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

    # -- positions and text --------------------------------------------------
    @cached_property
    def lines(self) -> LineIndex:
        return LineIndex(self.text)

    @cached_property
    def _positions(self) -> Positions:
        return Positions(self.module, self.lines)

    def span(self, node: cst.CSTNode) -> Span:
        """Where ``node`` is in the file's text."""
        return self._positions.span(node)

    def rendered_span(self, node: cst.CSTNode) -> Span:
        """Where ``node`` is in the code libcst renders (what fix builders edit)."""
        return self._positions.rendered_span(node)

    @property
    def source_map(self) -> SourceMap:
        """The rendered code and where its characters are in the text."""
        return self._positions.source_map

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

    @cached_property
    def comments(self) -> List[Comment]:
        """Every comment, in source order (computed only when suppressions are checked)."""
        last_line = len(self.lines.starts)
        comments = []
        for node, own_line, block, in_header in comments_of(self.tree):
            block_end = self.span(block).end_line if block is not None else last_line
            line = self.span(node).line
            comments.append(Comment(line, node.value, own_line, block_end, in_header))
        comments.sort(key=lambda c: c.line)
        return comments
