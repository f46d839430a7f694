"""The model's core gives the answers libcst's metadata gives, without its passes.

- Names: for every variable read (a `Name` or `Attribute` chain), the qualified
  names from `core/scopes.py` + `core/names.py` equal those of libcst's
  `Scope.get_qualified_names_for`, rendered with the linter's policy. Two
  deliberate differences (`core/names.py` says why): libcst names
  `int.from_bytes` `builtins.int`, ours is `builtins.int.from_bytes`; and a
  read of a name that its own scope binds only at or after the read
  (`x, y = f(x, y)` with `x` first bound there) is that scope's for us, as
  Python scopes it, where libcst looks in the enclosing scope instead.
- Spans: every node's range from `core/spans.py` equals `PositionProvider`'s.
  This also guards the private libcst code-generation protocol the spans use:
  a libcst upgrade that changes it fails here.
Plus Python's scope rules on small cases, and the `f(a)(b)` hole TorchFix guards.
"""

from __future__ import annotations

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider, QualifiedNameSource, ScopeProvider
from samples import CASES, IDS

from ckptlint.semantic.data.aliases import canonical
from ckptlint.semantic.core.names import LOCAL_PREFIX, NameResolver, binding_qualname, dotted_parts
from ckptlint.semantic.core.positions import LineIndex
from ckptlint.semantic.core.scopes import Scopes
from ckptlint.semantic.core.spans import Positions, node_ranges
from ckptlint.semantic.core.tree import Tree


def _render(name: str, source: QualifiedNameSource) -> str:
    if source is QualifiedNameSource.IMPORT:
        return canonical(name)
    if source is QualifiedNameSource.BUILTIN:
        return name if name.startswith("builtins.") else f"builtins.{name}"
    return LOCAL_PREFIX + name


def name_disagreements(text: str) -> list:
    """(code, libcst's names, ours) for every chain on which the two disagree."""
    module = cst.parse_module(text)
    tree = Tree(module)
    scopes = Scopes(tree)
    ours = NameResolver(scopes)
    theirs = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ScopeProvider)
    found = []
    for node in tree.nodes(cst.Name, cst.Attribute):
        parts = dotted_parts(node)
        parent = tree.parent(node)
        if parts is None or not scopes.is_read(parts[0]) or isinstance(parent, cst.Attribute) and parent.value is node:
            continue  # not a variable read, or the inner part of a longer chain
        scope = theirs.get(node)
        if scope is None:
            continue
        root, suffix = parts
        expected = {_render(q.name, q.source) for q in scope.get_qualified_names_for(node)}
        expected = {e + suffix if e == f"builtins.{root.value}" else e for e in expected}
        names = set(ours.qualnames(node))
        if expected != names and _bound_only_after(tree, scopes, root) and expected == _outside(scopes, root, suffix):
            continue  # the deliberate difference: libcst looks past the scope that binds the name
        if expected != names:
            found.append((module.code_for_node(node), sorted(expected), sorted(names)))
    return found


def _bound_only_after(tree: Tree, scopes: Scopes, root: cst.Name) -> bool:
    """``root``'s own scope binds it, and no binding completes before the read: each is in the
    read's statement (`x = f(x)`) or after it (the case libcst resolves in the enclosing scope)."""
    scope = scopes.scope_at(root)
    if scopes.resolve(root.value, scope) is not scope:
        return False
    for binding in scope.bindings[root.value]:
        statement = tree.statement_of(binding.node) or binding.node
        if tree.order[statement] < tree.order[root] and not tree.contains(statement, root):
            return False
    return True


def _outside(scopes: Scopes, root: cst.Name, suffix: str) -> set:
    """The names ``root`` would have if its own scope did not bind it: libcst's answer there."""
    scope = scopes.scope_at(root)
    current = scope.parent
    while current is not None and (current.kind == "class" or not current.binds(root.value)):
        current = current.parent
    if current is not None:
        return {canonical(binding_qualname(b, current) + suffix) for b in current.bindings[root.value]}
    return {f"builtins.{root.value}{suffix}"} if scopes.is_builtin(root.value) else set()


@pytest.mark.parametrize("name, text", CASES, ids=IDS)
def test_same_names_as_libcst(name: str, text: str) -> None:
    assert name_disagreements(text) == []


@pytest.mark.parametrize("name, text", CASES, ids=IDS)
def test_same_spans_as_position_provider(name: str, text: str) -> None:
    module = cst.parse_module(text)
    _assert_ranges_as_position_provider(module, LineIndex(text))


def _assert_ranges_as_position_provider(module: cst.Module, lines: LineIndex):  # type: ignore[no-untyped-def]
    """Every node's range from `node_ranges` is `PositionProvider`'s (read as offsets on ``lines``);
    returns `PositionProvider`'s positions."""
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    ranges = node_ranges(module)
    assert len(ranges) == len(expected)
    for node, code_range in expected.items():
        start = lines.offset(code_range.start.line, code_range.start.column)
        end = lines.offset(code_range.end.line, code_range.end.column)
        assert ranges[id(node)] == (start, end), module.code_for_node(node)
    return expected


@pytest.mark.parametrize("name, text", CASES, ids=IDS)
def test_the_spans_generation_renders_the_module_as_libcst_does(name: str, text: str) -> None:
    module = cst.parse_module(text)
    positions = Positions(module, LineIndex(text))
    assert positions.source_map.rendered == module.code  # fix builders edit this rendering (core/source_map.py)


# Texts at the edges of libcst's rendering, which the samples (whole files, each ending with a
# newline) never reach: no trailing newline (libcst drops the newline it generated last), an
# empty text, only a comment, `\r` and `\r\n` line ends, a form feed or a continuation in an
# indentation (the rendering differs from the text).
EDGE_TEXTS = [
    "import torch",
    "x = 1\ny = torch.load('a')",
    "",
    "# only a comment",
    "def f():\n    return 1",
    "x = 1\r\ny = 2\r\n",
    "x = 1\ry = (2,\r     3)",
    "if x:\n    a = 1\n\f    b = 2\n",
    "if x:\n    a = 1\n  \\\n    b = 2\n",
    "x = (1 +  # note\n     2)\n\n\n",
]


@pytest.mark.parametrize("text", EDGE_TEXTS)
def test_same_spans_as_position_provider_at_the_edges(text: str) -> None:
    module = cst.parse_module(text)
    rendered = module.code
    # libcst's positions count the newline it drops at the end (a module's range ends after it):
    # offsets are read on a text that has it, so that none is cut at the end of the rendering.
    expected = _assert_ranges_as_position_provider(module, LineIndex(rendered + module.default_newline))
    positions = Positions(module, LineIndex(text))
    assert positions.source_map.rendered == rendered
    for node, code_range in expected.items():
        span = positions.rendered_span(node)
        assert (span.line, span.column - 1) == (code_range.start.line, code_range.start.column)


def _names(text: str):  # type: ignore[no-untyped-def]
    module = cst.parse_module(text)
    tree = Tree(module)
    resolver = NameResolver(Scopes(tree))
    return tree, resolver


def _calls(text: str) -> dict:
    tree, resolver = _names(text)
    return {tree.module.code_for_node(c): resolver.qualname(c.func) for c in tree.nodes(cst.Call)}


def test_import_forms_and_aliases() -> None:
    calls = _calls(
        "import torch as th\nfrom torch import save as keep\nimport torch.nn.parallel\nfrom . import utils\nfrom .misc import helper\n"
        "th.load(p)\nkeep(x, p)\ntorch.nn.parallel.DistributedDataParallel(m)\nutils.save_on_master(x)\nhelper()\n"
    )
    assert calls == {
        "th.load(p)": "torch.load",
        "keep(x, p)": "torch.save",
        "torch.nn.parallel.DistributedDataParallel(m)": "torch.nn.parallel.DistributedDataParallel",
        "utils.save_on_master(x)": ".utils.save_on_master",
        "helper()": ".misc.helper",
    }


def test_class_scope_is_invisible_from_methods_and_comprehensions() -> None:
    calls = _calls(
        "from torch import load\n"
        "class A:\n"
        "    load = staticmethod(len)\n"
        "    load(1)\n"
        "    def m(self):\n"
        "        return load(2)\n"
        "    xs = [load(3) for _ in range(2)]\n"
    )
    assert calls["load(1)"] == "<local>.A.load"
    assert calls["load(2)"] == "torch.load"
    assert calls["load(3)"] == "torch.load"


def test_global_nonlocal_and_comprehension_scopes() -> None:
    calls = _calls(
        "import torch\n"
        "def f():\n"
        "    global torch\n"
        "    torch = None\n"
        "def g():\n"
        "    save = 1\n"
        "    def h():\n"
        "        nonlocal save\n"
        "        save(2)\n"
        "    [torch.save(i) for torch in xs]\n"
    )
    assert calls["save(2)"] == "<local>.g.<locals>.save"
    assert calls["torch.save(i)"] == "<local>.g.<locals>.<comprehension>.torch.save"


def test_defaults_annotations_and_decorators_are_read_outside_the_function() -> None:
    tree, resolver = _names(
        "import torch\n"
        "def f(torch=torch.device('cpu')) -> torch.Tensor:\n"
        "    return torch\n"
    )
    calls = {tree.module.code_for_node(c): resolver.qualname(c.func) for c in tree.nodes(cst.Call)}
    assert calls["torch.device('cpu')"] == "torch.device"


def test_a_call_of_a_call_has_no_name() -> None:
    calls = _calls("import torch\ntorch.load(p)(x)\n")
    assert calls == {"torch.load(p)(x)": None, "torch.load(p)": "torch.load"}


def test_a_name_bound_two_ways_is_ambiguous() -> None:
    calls = _calls("if a:\n    from torch import load\nelse:\n    from pickle import load\nload(p)\n")
    assert calls["load(p)"] is None


def test_an_optional_import_names_the_module() -> None:
    # `except ImportError: hvd = None` is a placeholder: a call through `hvd` can only run with the import.
    calls = _calls("try:\n    import horovod.torch as hvd\nexcept ImportError:\n    hvd = None\nhvd.DistributedOptimizer(opt)\n")
    assert calls["hvd.DistributedOptimizer(opt)"] == "horovod.torch.DistributedOptimizer"
    both = _calls("try:\n    import horovod.torch as hvd\nexcept ImportError:\n    import other as hvd\nhvd.f()\n")
    assert both["hvd.f()"] is None


def test_a_star_import_of_an_outside_module_binds_the_names_the_data_knows() -> None:
    # batchgenerators binds `join = os.path.join` (aliases.py); libcst resolves no star-imported name
    star = "from batchgenerators.utilities.file_and_folder_operations import *\n"
    calls = _calls(star + "join(a, 'b.pt')\nmaybe_mkdir_p(a)\n")
    assert calls == {"join(a, 'b.pt')": "os.path.join", "maybe_mkdir_p(a)": None}
    # a name the file also defines is bound two ways (ambiguous); a module the data knows nothing
    # of, or a project module's star import, binds nothing
    assert _calls(star + "def join(*a):\n    pass\njoin(a)\n")["join(a)"] is None
    assert _calls("from mylib.files import *\njoin(a, b)\n")["join(a, b)"] is None
    assert _calls("from .files import *\njoin(a, b)\n")["join(a, b)"] is None


@pytest.mark.parametrize(
    "text, read, libcst, ours",
    [
        ("x, y = f(x, y)\n", "x", [], ["<local>.x"]),
        ("print = wrap(print)\n", "print", ["builtins.print"], ["<local>.print"]),
        ("def g():\n    print = wrap(print)\n", "print", ["builtins.print"], ["<local>.g.<locals>.print"]),
        ("model = 1\ndef g():\n    model = model.cuda()\n", "model", ["<local>.model"], ["<local>.g.<locals>.model"]),
        ("for i in r:\n    if i:\n        use(ckpt)\n    ckpt = make(i)\n", "ckpt", [], ["<local>.ckpt"]),
    ],
)
def test_a_name_its_scope_binds_later_is_that_scopes(text: str, read: str, libcst: list, ours: list) -> None:
    """The deliberate difference: libcst looks past the scope that binds the name only after the
    read; Python (and ckptlint) scope it there (a function's `UnboundLocalError`, a loop's next
    iteration). The comparison above accepts exactly this difference, and nothing else."""
    module = cst.parse_module(text)
    tree = Tree(module)
    scopes = Scopes(tree)
    node = next(n for n in tree.nodes(cst.Name) if n.value == read and scopes.is_read(n))
    theirs = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ScopeProvider)[node]
    assert sorted(_render(q.name, q.source) for q in theirs.get_qualified_names_for(node)) == libcst
    assert sorted(NameResolver(scopes).qualnames(node)) == ours
    assert _bound_only_after(tree, scopes, node) and name_disagreements(text) == []


def test_a_name_bound_before_the_read_is_not_the_difference() -> None:
    tree = Tree(cst.parse_module("x = 1\nx, y = f(x, y)\n"))
    scopes = Scopes(tree)
    x, y = [n for n in tree.nodes(cst.Name) if scopes.is_read(n) and n.value in ("x", "y")]
    assert not _bound_only_after(tree, scopes, x) and _bound_only_after(tree, scopes, y)


@pytest.mark.parametrize(
    "statement, access",
    [
        ('x = state["model"]', "read"),
        ('a, b = state["model"], state["opt"]', "read"),
        ('f(state["model"])', "read"),
        ('state["step"] += 1', "update"),
        ('state["rng"] = r', None),
        ('a, state["rng"] = r', None),
        ('for state["k"] in r: pass', None),
        ('del state["k"]', None),
        ('state["k"]: int = 1', None),
        ("f(state)", None),
    ],
)
def test_item_access_tells_lookups_and_updates_from_stores(statement: str, access: object) -> None:
    tree = Tree(cst.parse_module(statement + "\n"))
    [name] = [n for n in tree.nodes(cst.Name) if n.value == "state"][:1]
    assert tree.item_access(name) == access


def test_spans_are_in_the_text_where_libcst_drops_a_form_feed() -> None:
    # libcst renders `\f` at a line's start as nothing: a finding after it must still point at
    # its text, and a fix builder still gets libcst's own (rendered) position
    text = "import os\n\fimport torch\n\ndef f(loader):\n    for x in loader:\n        torch.save(x, 'a.pt')\n"
    module = cst.parse_module(text)
    positions = Positions(module, LineIndex(text))
    assert not positions.source_map.exact
    save = module.body[2].body.body[0].body.body[0].body[0].value  # type: ignore[attr-defined]
    span = positions.span(save)
    assert (span.line, span.column) == (6, 9)
    assert text[span.start_offset : span.end_offset] == "torch.save(x, 'a.pt')"
    rendered = positions.rendered_span(save)
    assert positions.source_map.rendered[rendered.start_offset : rendered.end_offset] == "torch.save(x, 'a.pt')"
    assert rendered.start_offset == span.start_offset - 1  # one character (the form feed) fewer before it
