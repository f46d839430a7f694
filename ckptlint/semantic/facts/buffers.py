"""In-memory buffers: what a save writes into, or a load reads from, that is no checkpoint file.

The catalog's "Save": a save into an in-memory buffer is no checkpoint save for
any rule, and a `torch.load` from one is no checkpoint load (CKPT201/202 stay
silent: such code moves objects between processes, and must keep their
devices and types). An expression is a buffer when it is
- an `io.BytesIO(...)` / `io.StringIO(...)` call (also as a side of a
  conditional expression whose other side is one or `None`);
- a name every assignment of which that may reach it is a buffer (a branch
  that assigns `None` aside: `buffer = None` on the ranks that receive it), or
  is read from a broadcast (`received = objects[0]`);
- a name, or an item of one (`objects[0]`), that was handed to a broadcast
  collective earlier in the same function (`dist.broadcast_object_list(objects,
  src=0)`): what it holds then is what another rank sent, not a file.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from ckptlint.semantic.core.module import ModuleCore
from ckptlint.semantic.core.syntax import is_name

IN_MEMORY_BUFFERS = frozenset({"io.BytesIO", "io.StringIO"})
BROADCASTS = frozenset({"torch.distributed.broadcast", "torch.distributed.broadcast_object_list"})
_MAX_DEPTH = 3  # names followed to their assignments


class Buffers:
    def __init__(self, core: ModuleCore) -> None:
        self._core = core

    def is_buffer(self, expr: Optional[cst.BaseExpression], depth: int = 0) -> bool:
        """``expr`` holds an in-memory buffer or a broadcast object (see the module docstring)."""
        if isinstance(expr, cst.Call):
            return self._core.qualname(expr.func) in IN_MEMORY_BUFFERS
        if isinstance(expr, cst.IfExp):  # `io.BytesIO(data) if rank == 0 else None`
            sides = [side for side in (expr.body, expr.orelse) if not is_name(side, "None")]
            return bool(sides) and all(self.is_buffer(side, depth) for side in sides)
        if isinstance(expr, cst.Subscript):
            return isinstance(expr.value, cst.Name) and self._broadcast_before(expr.value)
        if not isinstance(expr, cst.Name) or depth >= _MAX_DEPTH:
            return False
        if self._broadcast_before(expr):
            return True
        values = [b.value for b in self._core.bindings.candidates(expr.value, expr)]
        assigned = [v for v in values if not is_name(v, "None")]
        return bool(assigned) and all(v is not None and self.is_buffer(v, depth + 1) for v in assigned)

    def loads_from_buffer(self, load: cst.Call) -> bool:
        """A `torch.load` whose file (first argument, or `f=`) is a buffer: no checkpoint load."""
        return self.is_buffer(load_source(load))

    def _broadcast_before(self, name: cst.Name) -> bool:
        """``name`` is passed (alone, or in a list or tuple) to a broadcast earlier in its function."""
        tree = self._core.tree
        function = tree.enclosing_function(name)
        for site in self._core.calls_to(*BROADCASTS):
            if tree.enclosing_function(site.node) is not function or tree.order[site.node] >= tree.order[name]:
                continue
            for arg in site.node.args:
                value = arg.value
                elements = [e.value for e in value.elements] if isinstance(value, (cst.List, cst.Tuple)) else [value]
                if any(is_name(e, name.value) for e in elements):
                    return True
        return False


def load_source(call: cst.Call) -> Optional[cst.BaseExpression]:
    """The file a load reads: its first positional argument, or `f=`."""
    for index, arg in enumerate(call.args):
        if arg.keyword is not None and arg.keyword.value == "f" or arg.keyword is None and index == 0 and not arg.star:
            return arg.value
    return None
