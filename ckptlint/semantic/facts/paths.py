"""Save targets: is it a path (not a file object), what is it made of, is it written over
(CKPT109 and the CKPT5xx path rules).

Paths are read only through the forms the catalog lists: a string literal,
an f-string, `os.path.join(...)`, `Path(...)`, a `/` chain, and (for the
directory, the loop variable and the counters) a local variable assigned
once in the same function. Everything else is unknown, and rules stay silent.

A save *overwrites* its checkpoint (CKPT109, revision 2) when it runs more
than once per process with the same path: it sits in a loop of its
function that may run it again (`Loops.repeats`: not when its iteration
always leaves the loop after it), or in a same-file function called from
one (a helper's call: the call repeats, or the save runs repeatedly in a
loop of the helper), and its path
(followed through locals) names no enclosing loop variable and no epoch,
step or iteration counter. A save that runs once per process (a final
export) writes a new file once; a path that the function receives from its
caller is the caller's choice, unknown here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Dict, FrozenSet, List, Optional, Set

import libcst as cst

from ckptlint.semantic.core.module import ModuleCore
from ckptlint.semantic.core.syntax import callee_name, subscript_key
from ckptlint.semantic.core.tree import Tree, parameters
from ckptlint.semantic.data import catalog
from ckptlint.semantic.facts.loops import Loops
from ckptlint.semantic.facts.saves import SaveSite, Saves

FILE_OBJECT_BUILDERS = frozenset(
    {"builtins.open", "io.BytesIO", "io.open", "gzip.open", "tempfile.NamedTemporaryFile", "tempfile.TemporaryFile"}
)
FILE_OBJECT_NAMES = frozenset({"f", "fp", "fh", "fd", "buf", "buffer", "stream", "fileobj", "file_obj", "bio"})
PATH_BUILDERS = frozenset({"os.path.join", "pathlib.Path", "pathlib.PurePath", "builtins.str", "os.fspath"})
PROGRESS_WORDS = ("epoch", "step", "iter")
RENAMES = ("os.replace", "os.rename", "shutil.move")
TORCH_LOAD = "torch.load"
_DRIVE = re.compile(r"^[A-Za-z]:")
_CALLER_DEPTH = 3


@dataclass(frozen=True, eq=False)
class PathValue:
    """The path of one save, as written at the save call."""

    save: SaveSite
    expr: Optional[cst.BaseExpression]  # the path argument at the save (None when not given)
    written_at_save: bool  # in the save call itself (or the helper's save), not a default
    leading: Optional[str]  # the literal the path starts with, through the listed forms only (501)
    leading_any: Optional[str]  # also through `+` and `os.path.expanduser(...)` (503)
    new_directory: bool  # a relative literal directory part (`"ckpt/x.pt"`, `os.path.join("ckpt", f)`)
    loop_variables: FrozenSet[str]  # enclosing `for` variables (same function) named in the path

    @property
    def relative(self) -> bool:
        return self.written_at_save and self.leading is not None and is_relative_literal(self.leading)

    @property
    def home_rooted(self) -> bool:
        return self.written_at_save and self.leading_any is not None and is_home_literal(self.leading_any)


def is_relative_literal(text: str) -> bool:
    if not text or text.startswith(("/", "\\", "~", "$", "%")) or _DRIVE.match(text) or "://" in text:
        return False
    return True


def is_home_literal(text: str) -> bool:
    return (
        text.startswith(catalog.HOME_PREFIXES)
        or bool(catalog.TILDE_HOME.match(text))
        or bool(catalog.WINDOWS_HOME.match(text))
    )


class PathFacts:
    """Path values of a module's saves, and what the module does to directories and old files."""

    def __init__(self, core: ModuleCore, saves: Saves, loops: Loops) -> None:
        self._core = core
        self._loops = loops
        self.values: List[PathValue] = [self._value(site) for site in saves.path_sites]

    # -- what a path is ------------------------------------------------------
    def is_path_expression(self, expr: Optional[cst.BaseExpression]) -> bool:
        """A file path (string, f-string, `os.path.join`, `Path`, `/`, a variable holding one); not a file object."""
        core = self._core
        if expr is None:
            return False
        if isinstance(expr, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString, cst.BinaryOperation)):
            return True
        if isinstance(expr, cst.Call):
            if core.qualname(expr.func) in PATH_BUILDERS:
                return True
            return isinstance(expr.func, cst.Attribute) and expr.func.attr.value in ("format", "with_suffix", "with_name")
        if isinstance(expr, cst.Name):
            if expr.value in FILE_OBJECT_NAMES:
                return False
            binding = core.bindings.reaching(expr.value, expr)
            if binding is not None and isinstance(binding.value, cst.Call):
                return core.qualname(binding.value.func) not in FILE_OBJECT_BUILDERS
            return binding is None or binding.value is None or not isinstance(binding.node, cst.WithItem)
        if isinstance(expr, cst.Attribute):
            return expr.attr.value not in FILE_OBJECT_NAMES
        return False

    def leading_literal(self, expr: Optional[cst.BaseExpression], *, loose: bool = False) -> Optional[str]:
        """The literal text a path expression starts with. ``loose`` also reads `+` and `expanduser`."""
        if isinstance(expr, cst.SimpleString):
            value = expr.evaluated_value
            return value if isinstance(value, str) else None
        if isinstance(expr, cst.ConcatenatedString):
            return self.leading_literal(expr.left, loose=loose)  # type: ignore[arg-type]
        if isinstance(expr, cst.FormattedString):
            first = expr.parts[0] if expr.parts else None
            return first.value if isinstance(first, cst.FormattedStringText) else None
        if isinstance(expr, cst.BinaryOperation):
            if isinstance(expr.operator, cst.Divide) or (loose and isinstance(expr.operator, cst.Add)):
                return self.leading_literal(expr.left, loose=loose)
            return None
        if isinstance(expr, cst.Call):
            name = self._core.qualname(expr.func)
            followed = catalog.PATH_JOINS | catalog.PATH_CLASSES | catalog.PATH_PASSTHROUGH
            if name in followed or (loose and name in catalog.EXPANDUSER):
                first = expr.args[0] if expr.args else None
                if first is not None and first.keyword is None and not first.star:
                    return self.leading_literal(first.value, loose=loose)
        return None

    def path_parts(self, expr: cst.BaseExpression) -> List[cst.BaseExpression]:
        """`os.path.join(a, b)`, `Path(a, b)`, `a / b` flattened to `[a, b]`; else `[expr]`."""
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Divide):
            return self.path_parts(expr.left) + [expr.right]
        if isinstance(expr, cst.Call) and self._core.qualname(expr.func) in catalog.PATH_JOINS | catalog.PATH_CLASSES:
            if expr.args and all(a.keyword is None and not a.star for a in expr.args):
                parts: List[cst.BaseExpression] = []
                for index, arg in enumerate(expr.args):
                    parts.extend(self.path_parts(arg.value) if index == 0 else [arg.value])
                return parts
        return [expr]

    def has_new_directory(self, expr: Optional[cst.BaseExpression]) -> bool:
        """Whether the path starts with a relative literal directory (a directory part the model can see)."""
        if expr is None:
            return False
        parts = self.path_parts(expr)
        first = parts[0]
        text = self.leading_literal(first)
        if text is None or not is_relative_literal(text):
            return False
        if len(parts) > 1:
            return text.strip("./\\") != ""
        if isinstance(first, cst.FormattedString):
            return _directory_of(text, whole=False)
        return isinstance(first, (cst.SimpleString, cst.ConcatenatedString)) and _directory_of(text, whole=True)

    def resolve_local(self, expr: Optional[cst.BaseExpression], at: cst.CSTNode) -> Optional[cst.BaseExpression]:
        """A bare name assigned once (the one reaching assignment) in the same function: its value."""
        if not isinstance(expr, cst.Name):
            return expr
        binding = self._core.bindings.reaching(expr.value, at)
        if binding is None or binding.value is None or binding.is_parameter:
            return expr
        tree = self._core.tree
        if tree.enclosing_function(binding.node) is not tree.enclosing_function(at):
            return expr
        return binding.value

    # -- values at the saves ---------------------------------------------------
    def _value(self, save: SaveSite) -> PathValue:
        tree, expr = self._core.tree, save.path
        written = expr is not None and (tree.contains(save.call, expr) or tree.contains(save.torch_save, expr))
        written = written and save.path_arguments is None  # a helper's own path is checked at its save
        resolved = self.resolve_local(expr, save.call) if written else expr
        loop_variables: FrozenSet[str] = frozenset()
        if resolved is not None and written:
            loop_variables = _variables(tree, resolved) & self._loops.variables_around(save.call)
        return PathValue(
            save=save,
            expr=expr,
            written_at_save=written,
            leading=self.leading_literal(expr),
            leading_any=self.leading_literal(expr, loose=True),
            new_directory=written and self.has_new_directory(resolved),
            loop_variables=loop_variables,
        )

    # -- overwriting (CKPT109) ---------------------------------------------------
    def overwrites(self, save: SaveSite) -> bool:
        """The save writes the same path each time it runs, and runs more than once per process."""
        path = save.path
        if save.atomic or path is None or not self.is_path_expression(path) or save.paths_checked_at_callers:
            return False
        if self._renamed_after(save.torch_save) or self._fills_a_cache(save, path):
            return False
        if save.path_arguments is not None:  # a helper building the path from what this call passes
            if any(self.varies_per_run(value, save.call) for value in save.path_arguments.values()):
                return False
            if self._varies_apart_from(path, save.torch_save, frozenset(save.path_arguments)):
                return False
            return self._repeats(save)
        if self.varies_per_run(path, save.call):
            return False
        if self.depends_on_parameters(path, save.call) and not self._loops.repeats(save.call):
            return False  # the caller picks the path (maybe a temporary it renames): unknown
        return self._repeats(save)

    def _repeats(self, save: SaveSite) -> bool:
        """The save writes its path again: its call repeats, or (a helper's call) the helper's
        save repeats in a loop of the helper (`def train(path): for epoch ...: torch.save(s, path)`)."""
        helper_loops = save.torch_save is not save.call and self._loops.repeats(save.torch_save)
        return helper_loops or self.runs_repeatedly(save.call)

    def varies_per_run(self, expr: cst.BaseExpression, at: cst.CSTNode) -> bool:
        """The path (followed through the locals it is built from) names an enclosing `for`
        loop's variable or an epoch/step/iteration counter."""
        tree = self._core.tree
        names = set(_read_names(tree, expr))
        for name in tree.nodes_within(expr, cst.Name):  # each local the path is built from, one level
            value = self.resolve_local(name, at)
            if value is not name and value is not None:
                names |= _read_names(tree, value)
            elif self._chosen_per_iteration(name, at):
                return True
        if any(word in name.lower() for name in names for word in PROGRESS_WORDS):
            return True
        around: Set[str] = set()
        for current in tree.ancestors(at):
            if isinstance(current, (cst.For, cst.CompFor)):
                around |= _read_names(tree, current.target)
        return bool(names & around)

    def _chosen_per_iteration(self, name: cst.Name, at: cst.CSTNode) -> bool:
        """A local that branches assign, each in a branch that an enclosing loop's variable selects
        once (`if swa_eval: path = a` / `else: path = b` in `for swa_eval in swas`): each iteration
        that reaches ``at`` assigned it anew, to a path no other iteration writes."""
        candidates = self._core.bindings.candidates(name.value, at)
        if len(candidates) < 2 or self._core.bindings.maybe_unbound(name.value, at):
            return False
        tree = self._core.tree
        return any(
            all(tree.contains(loop.node.body, b.node) and self._loops.selected_once(b.node, loop.node) for b in candidates)
            for loop in self._loops.enclosing(at)
        )

    def _varies_apart_from(self, expr: cst.BaseExpression, at: cst.CSTNode, parameters: FrozenSet[str]) -> bool:
        """The helper's path names a counter or loop variable other than the parameters a call fills."""
        names = _read_names(self._core.tree, expr) - parameters
        return any(word in name.lower() for name in names for word in PROGRESS_WORDS) or bool(
            names & self._loops.variables_around(at)
        )

    def depends_on_parameters(self, expr: cst.BaseExpression, at: cst.CSTNode) -> bool:
        """The path names a parameter of the function the save runs in (its value is the caller's)."""
        function = self._core.tree.enclosing_function(at)
        if function is None:
            return False
        params = [p.name.value for p in parameters(function)]
        if params and self._core.callgraph.self_name(function) is not None:
            params = params[1:]  # `self.last` is the object's path, not the caller's
        return bool(_variables(self._core.tree, expr) & set(params))

    def runs_repeatedly(self, node: cst.CSTNode, depth: int = 0) -> bool:
        """``node`` runs more than once in a loop of its function (`Loops.repeats`), or its function
        is called from one (same file)."""
        if self._loops.repeats(node):
            return True
        function = self._core.tree.enclosing_function(node)
        if function is None or depth >= _CALLER_DEPTH:
            return False
        return any(self.runs_repeatedly(call, depth + 1) for call in self._core.callgraph.callers(function))

    def _fills_a_cache(self, save: SaveSite, path: cst.BaseExpression) -> bool:
        """The write is in one branch of an `if` whose other branch loads the same path (`if
        os.path.exists(f): x = torch.load(f)` / `else: x = build(); torch.save(x, f)`): a cache of
        what the function computes, rebuilt whenever it is not read, not a checkpoint of a run."""
        core = self._core
        written = save.inner_path if save.helper is not None and save.inner_path is not None else path
        tree = core.tree
        loads = self._loads_by_path.get(core.code(written), ())
        child: cst.CSTNode = save.torch_save
        for current in tree.ancestors(save.torch_save):
            if isinstance(current, (cst.FunctionDef, cst.Lambda, cst.Module)):
                return False
            if isinstance(current, cst.If) and current.orelse is not None:
                other = current.orelse if child is current.body else current.body if child is current.orelse else None
                if other is not None and any(tree.contains(other, load) for load in loads):
                    return True
            child = current
        return False

    @cached_property
    def _loads_by_path(self) -> Dict[str, List[cst.Call]]:
        """Each `torch.load` of the module, by the code of the path it reads."""
        core = self._core
        found: Dict[str, List[cst.Call]] = {}
        for site in core.calls_to(TORCH_LOAD):
            argument = site.arg("f")
            if argument is not None and not argument.star:
                found.setdefault(core.code(argument.value), []).append(site.node)
        return found

    def _renamed_after(self, torch_save: cst.Call) -> bool:
        """A write to a temporary name that the same function renames into place."""
        tree = self._core.tree
        function = tree.enclosing_function(torch_save)
        return any(tree.enclosing_function(site.node) is function for site in self._core.calls_to(*RENAMES))

    # -- the module around the saves ---------------------------------------------
    @cached_property
    def creates_directories(self) -> bool:
        """Any `os.makedirs` / `os.mkdir` / `Path.mkdir` (or a helper named for it, or a TensorBoard
        writer, which makes its log directory) in the module."""
        if self._core.calls_to(*catalog.DIRECTORY_CREATING_CLASSES):
            return True
        for call in self._core.tree.nodes(cst.Call):
            name = callee_name(call)
            if name is not None and catalog.DIRECTORY_CREATORS.search(name):
                return True
            if any(a.keyword is not None and a.keyword.value in ("mkdir", "exist_ok") for a in call.args):
                return True
        return False

    @cached_property
    def deletes_files(self) -> bool:
        """Any `os.remove` / `Path.unlink` / `shutil.rmtree`, or a keep-last helper or setting."""
        core = self._core
        if core.calls_to(*catalog.DELETIONS):
            return True
        for call in core.tree.nodes(cst.Call):
            name = callee_name(call)
            if name is not None and (name in catalog.DELETION_METHODS or catalog.KEEP_LAST.search(name)):
                return True
            if any(a.keyword is not None and catalog.KEEP_LAST.search(a.keyword.value) for a in call.args):
                return True
        return False

    def statement_before_which_to_insert(self, node: cst.CSTNode) -> Optional[cst.SimpleStatementLine]:
        """The statement line holding ``node``, when a new statement can go right before it:
        a line of an indented block or of the module, with no lambda or comprehension in between
        (their variables would not exist before the line)."""
        stops = (cst.Lambda, cst.CompFor, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp, cst.BaseSuite, cst.BaseCompoundStatement)
        line = self._core.tree.enclosing(node, (cst.SimpleStatementLine,), stop=stops)
        if line is None or not isinstance(self._core.parent(line), (cst.IndentedBlock, cst.Module)):
            return None
        return line  # type: ignore[return-value]

    def single_line(self, node: cst.CSTNode) -> bool:
        span = self._core.span(node)
        return span.line == span.end_line


def _directory_of(text: str, whole: bool) -> bool:
    stripped = text
    while stripped.startswith(("./", ".\\")):
        stripped = stripped[2:]
    cut = max(stripped.rfind("/"), stripped.rfind("\\"))
    if cut <= 0:
        return False
    return stripped[:cut].strip("./\\") != "" if whole else True


def _read_names(tree: Tree, expr: cst.CSTNode) -> FrozenSet[str]:
    """Every name in ``expr``, attribute names and literal keys included (`epoch` in
    `self.epoch`, `step_count` in `state["step_count"]`)."""
    names = {n.value for n in tree.nodes_within(expr, cst.Name)}
    for subscript in tree.nodes_within(expr, cst.Subscript):
        key = subscript_key(subscript)
        if key is not None:
            names.add(key)
    return frozenset(names)


def _variables(tree: Tree, expr: cst.CSTNode) -> FrozenSet[str]:
    """Names read as variables (not attribute names: `last` in `self.last`)."""
    return frozenset(
        n.value
        for n in tree.nodes_within(expr, cst.Name)
        if not (isinstance(tree.parent(n), cst.Attribute) and tree.parent(n).attr is n)  # type: ignore[attr-defined]
    )
