"""Where the result of a `torch.load` goes.

CKPT201's fix is safe only when the loaded object is used solely to restore
state (`x.load_state_dict(obj)` or `x.load_state_dict(obj["key"])`):
`load_state_dict` copies into tensors that already live on the right device,
so loading to the CPU first changes nothing but memory use. Any other use
(returned, stored on `self`, read as `obj["epoch"]`, iterated) might depend
on where the tensors live, and the answer is "unknown".
"""

from __future__ import annotations

from typing import Callable, List, Mapping

import libcst as cst


class LoadFlows:
    def __init__(
        self, parents: Mapping[cst.CSTNode, cst.CSTNode], reads_of: Callable[[cst.Name], List[cst.Name]]
    ) -> None:
        self._parents = parents
        self._reads_of = reads_of

    def only_restores_state(self, expr: cst.CSTNode) -> bool:
        """True when every use of the value of ``expr`` is a `load_state_dict` argument."""
        parent = self._parents.get(expr)
        if isinstance(parent, cst.Arg):
            return self._is_state_dict_argument(parent)
        if isinstance(parent, cst.Subscript) and parent.value is expr:
            return self.only_restores_state(parent)
        if isinstance(parent, cst.Attribute) and parent.value is expr and parent.attr.value == "get":
            call = self._parents.get(parent)
            return isinstance(call, cst.Call) and call.func is parent and self.only_restores_state(call)
        if isinstance(parent, (cst.Assign, cst.AnnAssign)) and parent.value is expr:
            return self._assigned_name_only_restores_state(parent)
        return False

    def _is_state_dict_argument(self, arg: cst.Arg) -> bool:
        call = self._parents.get(arg)
        if not isinstance(call, cst.Call) or arg.star:
            return False
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "load_state_dict"):
            return False
        if arg.keyword is not None:
            return arg.keyword.value == "state_dict"
        return call.args[0] is arg

    def _assigned_name_only_restores_state(self, statement: cst.CSTNode) -> bool:
        if isinstance(statement, cst.Assign):
            if len(statement.targets) != 1:
                return False
            target = statement.targets[0].target
        else:
            target = statement.target  # type: ignore[attr-defined]
        if not isinstance(target, cst.Name):
            return False
        return all(self.only_restores_state(read) for read in self._reads_of(target))
