"""Save targets: is it a path (not a file object), and does it change per iteration?

Minimal facts for CKPT109; the CKPT5xx rules will grow this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import libcst as cst

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
    expr.visit(collector)
    names = collector.names
    if any(word in name.lower() for name in names for word in PROGRESS_WORDS):
        return True
    loop_targets = set()
    current = model.parents.get(at)
    while current is not None:
        if isinstance(current, (cst.For, cst.CompFor)):
            target_names = _Names()
            current.target.visit(target_names)
            loop_targets |= target_names.names
        current = model.parents.get(current)
    return bool(names & loop_targets)


def depends_on_parameters(model: "SemanticModel", expr: cst.BaseExpression, at: cst.CSTNode) -> bool:
    """Whether the path names a parameter of the function the save runs in (its value is the caller's)."""
    function = model.bindings.enclosing_function(at)
    if function is None:
        return False
    collector = _RootNames()
    expr.visit(collector)
    params = [p.name.value for p in _all_parameters(function)]
    if params and model.bindings.enclosing_class(function) is not None:
        params = params[1:]  # `self.last` is the object's path, not the caller's
    return bool(collector.names & set(params))


class _RootNames(cst.CSTVisitor):
    """Names read as variables (not attribute names: `last` in `self.last`)."""

    def __init__(self) -> None:
        self.names = set()

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
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
