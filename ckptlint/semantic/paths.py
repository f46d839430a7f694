"""Save targets: is it a path (not a file object), does it change per iteration,
and what is it made of (CKPT109 and the CKPT5xx path rules)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, FrozenSet, List, Optional, Sequence

import libcst as cst

from ckptlint.semantic import catalog
from ckptlint.semantic.core.walk import visit_tree

if TYPE_CHECKING:
    from ckptlint.semantic.model import SemanticModel

FILE_OBJECT_BUILDERS = frozenset(
    {"builtins.open", "io.BytesIO", "io.open", "gzip.open", "tempfile.NamedTemporaryFile", "tempfile.TemporaryFile"}
)
FILE_OBJECT_NAMES = frozenset({"f", "fp", "fh", "fd", "buf", "buffer", "stream", "fileobj", "file_obj", "bio"})
PATH_BUILDERS = frozenset({"os.path.join", "pathlib.Path", "pathlib.PurePath", "builtins.str", "os.fspath"})
PROGRESS_WORDS = ("epoch", "step", "iter")


def is_path_expression(model: "SemanticModel", expr: Optional[cst.BaseExpression]) -> bool:
    """A file path (string, f-string, `os.path.join`, `Path`, `/`, a variable holding one); not a file object."""
    if expr is None:
        return False
    if isinstance(expr, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString, cst.BinaryOperation)):
        return True
    if isinstance(expr, cst.Call):
        name = model.qualname(expr.func)
        if name in PATH_BUILDERS:
            return True
        return isinstance(expr.func, cst.Attribute) and expr.func.attr.value in ("format", "with_suffix", "with_name")
    if isinstance(expr, cst.Name):
        if expr.value in FILE_OBJECT_NAMES:
            return False
        binding = model.bindings.reaching(expr.value, expr)
        if binding is not None and isinstance(binding.value, cst.Call):
            return model.qualname(binding.value.func) not in FILE_OBJECT_BUILDERS
        return binding is None or binding.value is None or not isinstance(binding.node, cst.WithItem)
    if isinstance(expr, cst.Attribute):
        return expr.attr.value not in FILE_OBJECT_NAMES
    return False


class _Names(cst.CSTVisitor):
    def __init__(self) -> None:
        self.names = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)


def varies_per_run(model: "SemanticModel", expr: cst.BaseExpression, at: cst.CSTNode) -> bool:
    """Whether the path names an enclosing `for` loop's variable or an epoch/step/iteration counter."""
    collector = _Names()
    visit_tree(expr, collector)
    names = collector.names
    if any(word in name.lower() for name in names for word in PROGRESS_WORDS):
        return True
    loop_targets = set()
    current = model.parents.get(at)
    while current is not None:
        if isinstance(current, (cst.For, cst.CompFor)):
            target_names = _Names()
            visit_tree(current.target, target_names)
            loop_targets |= target_names.names
        current = model.parents.get(current)
    return bool(names & loop_targets)


def depends_on_parameters(model: "SemanticModel", expr: cst.BaseExpression, at: cst.CSTNode) -> bool:
    """Whether the path names a parameter of the function the save runs in (its value is the caller's)."""
    function = model.bindings.enclosing_function(at)
    if function is None:
        return False
    collector = _RootNames()
    visit_tree(expr, collector)
    params = [p.name.value for p in _all_parameters(function)]
    if params and model.bindings.enclosing_class(function) is not None:
        params = params[1:]  # `self.last` is the object's path, not the caller's
    return bool(collector.names & set(params))


class _RootNames(cst.CSTVisitor):
    """Names read as variables (not attribute names: `last` in `self.last`)."""

    def __init__(self) -> None:
        self.names = set()

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        visit_tree(node.value, self)
        return False

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)


def inside_loop(model: "SemanticModel", at: cst.CSTNode) -> bool:
    """Whether ``at`` runs in a `for` / `while` loop of its own function."""
    current = model.parents.get(at)
    while current is not None and not isinstance(current, (cst.FunctionDef, cst.Module)):
        if isinstance(current, (cst.For, cst.While)):
            return True
        current = model.parents.get(current)
    return False


def _all_parameters(function: cst.FunctionDef):  # type: ignore[no-untyped-def]
    params = function.params
    return [*params.posonly_params, *params.params, *params.kwonly_params]


# -- path values at save calls (CKPT5xx) ---------------------------------------
#
# What a save's path is made of, read only through the forms the catalog lists:
# a string literal, an f-string, `os.path.join(...)`, `Path(...)`, a `/` chain,
# and (for the directory and the loop variable) a local variable assigned once
# in the same function. Everything else is unknown, and rules stay silent.

_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True, eq=False)
class PathValue:
    """The path of one save, as written at the save call."""

    save: object  # the `SaveSite`
    expr: Optional[cst.BaseExpression]  # the path argument at the save (None when not given)
    written_at_save: bool  # in the save call itself (or the helper's `torch.save`), not a default
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


def leading_literal(model: "SemanticModel", expr: Optional[cst.BaseExpression], *, loose: bool = False) -> Optional[str]:
    """The literal text a path expression starts with. ``loose`` also reads `+` and `expanduser`."""
    if isinstance(expr, cst.SimpleString):
        value = expr.evaluated_value
        return value if isinstance(value, str) else None
    if isinstance(expr, cst.ConcatenatedString):
        return leading_literal(model, expr.left, loose=loose)  # type: ignore[arg-type]
    if isinstance(expr, cst.FormattedString):
        first = expr.parts[0] if expr.parts else None
        return first.value if isinstance(first, cst.FormattedStringText) else None
    if isinstance(expr, cst.BinaryOperation):
        if isinstance(expr.operator, cst.Divide) or (loose and isinstance(expr.operator, cst.Add)):
            return leading_literal(model, expr.left, loose=loose)
        return None
    if isinstance(expr, cst.Call):
        name = model.qualname(expr.func)
        followed = catalog.PATH_JOINS | catalog.PATH_CLASSES | catalog.PATH_PASSTHROUGH
        if name in followed or (loose and name in catalog.EXPANDUSER):
            first = expr.args[0] if expr.args else None
            if first is not None and first.keyword is None and not first.star:
                return leading_literal(model, first.value, loose=loose)
    return None


def path_parts(model: "SemanticModel", expr: cst.BaseExpression) -> List[cst.BaseExpression]:
    """`os.path.join(a, b)`, `Path(a, b)`, `a / b` flattened to `[a, b]`; else `[expr]`."""
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Divide):
        return path_parts(model, expr.left) + [expr.right]
    if isinstance(expr, cst.Call) and model.qualname(expr.func) in catalog.PATH_JOINS | catalog.PATH_CLASSES:
        if expr.args and all(a.keyword is None and not a.star for a in expr.args):
            parts: List[cst.BaseExpression] = []
            for index, arg in enumerate(expr.args):
                parts.extend(path_parts(model, arg.value) if index == 0 else [arg.value])
            return parts
    return [expr]


def has_new_directory(model: "SemanticModel", expr: Optional[cst.BaseExpression]) -> bool:
    """Whether the path starts with a relative literal directory (a directory part the model can see)."""
    if expr is None:
        return False
    parts = path_parts(model, expr)
    first = parts[0]
    text = leading_literal(model, first)
    if text is None or not is_relative_literal(text):
        return False
    if len(parts) > 1:
        return text.strip("./\\") != ""
    if isinstance(first, cst.FormattedString):
        return _directory_of(text, whole=False)
    return isinstance(first, (cst.SimpleString, cst.ConcatenatedString)) and _directory_of(text, whole=True)


def _directory_of(text: str, whole: bool) -> bool:
    stripped = text
    while stripped.startswith(("./", ".\\")):
        stripped = stripped[2:]
    cut = max(stripped.rfind("/"), stripped.rfind("\\"))
    if cut <= 0:
        return False
    return stripped[:cut].strip("./\\") != "" if whole else True


def resolve_local(model: "SemanticModel", expr: Optional[cst.BaseExpression], at: cst.CSTNode) -> Optional[cst.BaseExpression]:
    """A bare name assigned once (the one reaching assignment) in the same function: its value."""
    if not isinstance(expr, cst.Name):
        return expr
    binding = model.bindings.reaching(expr.value, at)
    if binding is None or binding.value is None or binding.is_parameter:
        return expr
    if model.bindings.enclosing_function(binding.node) is not model.bindings.enclosing_function(at):
        return expr
    return binding.value


def enclosing_for_variables(model: "SemanticModel", at: cst.CSTNode) -> FrozenSet[str]:
    """The variables of the `for` loops around ``at`` in its own function (not comprehensions)."""
    names: set = set()
    current = model.parents.get(at)
    while current is not None and not isinstance(current, (cst.FunctionDef, cst.Lambda, cst.Module)):
        if isinstance(current, cst.For):
            collector = _Names()
            visit_tree(current.target, collector)
            names |= collector.names
        current = model.parents.get(current)
    return frozenset(names)


def _contains(model: "SemanticModel", outer: cst.CSTNode, inner: cst.CSTNode) -> bool:
    a, b = model.span(outer), model.span(inner)
    return a.start_offset <= b.start_offset and b.end_offset <= a.end_offset


class PathFacts:
    """Path values of a module's saves, and what the module does to directories and old files."""

    def __init__(self, model: "SemanticModel", sites: Sequence[object]) -> None:
        self._model = model
        self.values: List[PathValue] = [self._value(site) for site in sites]

    def _value(self, save) -> PathValue:  # type: ignore[no-untyped-def]
        model, expr = self._model, save.path
        written = expr is not None and (_contains(model, save.call, expr) or _contains(model, save.torch_save, expr))
        resolved = resolve_local(model, expr, save.call) if written else expr
        loop_variables: FrozenSet[str] = frozenset()
        if resolved is not None and written:
            collector = _RootNames()
            visit_tree(resolved, collector)
            loop_variables = frozenset(collector.names) & enclosing_for_variables(model, save.call)
        return PathValue(
            save=save,
            expr=expr,
            written_at_save=written,
            leading=leading_literal(model, expr),
            leading_any=leading_literal(model, expr, loose=True),
            new_directory=written and has_new_directory(model, resolved),
            loop_variables=loop_variables,
        )

    @cached_property
    def creates_directories(self) -> bool:
        """Any `os.makedirs` / `os.mkdir` / `Path.mkdir` (or a helper named for it) in the module."""
        for indexed in self._model.index.calls:
            name = _callee_name(indexed.node)
            if name is not None and catalog.DIRECTORY_CREATORS.search(name):
                return True
            if any(a.keyword is not None and a.keyword.value in ("mkdir", "exist_ok") for a in indexed.node.args):
                return True
        return False

    @cached_property
    def deletes_files(self) -> bool:
        """Any `os.remove` / `Path.unlink` / `shutil.rmtree`, or a keep-last helper or setting."""
        model = self._model
        if model.calls_to(*catalog.DELETIONS):
            return True
        for indexed in model.index.calls:
            name = _callee_name(indexed.node)
            if name is not None and (name in catalog.DELETION_METHODS or catalog.KEEP_LAST.search(name)):
                return True
            if any(a.keyword is not None and catalog.KEEP_LAST.search(a.keyword.value) for a in indexed.node.args):
                return True
        return False


def _callee_name(call: cst.Call) -> Optional[str]:
    func = call.func
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return None


def statement_before_which_to_insert(model: "SemanticModel", node: cst.CSTNode) -> Optional[cst.SimpleStatementLine]:
    """The statement line holding ``node``, when a new statement can go right before it:
    a line of an indented block or of the module, with no lambda or comprehension in between
    (their variables would not exist before the line)."""
    current = model.parents.get(node)
    while current is not None and not isinstance(current, cst.SimpleStatementLine):
        if isinstance(current, (cst.Lambda, cst.CompFor, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp, cst.BaseSuite, cst.BaseCompoundStatement)):
            return None
        current = model.parents.get(current)
    if current is None or not isinstance(model.parents.get(current), (cst.IndentedBlock, cst.Module)):
        return None
    return current


def single_line(model: "SemanticModel", node: cst.CSTNode) -> bool:
    span = model.span(node)
    return span.line == span.end_line
