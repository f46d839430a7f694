"""Call sites, with arguments bound to parameters by the signatures data."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Dict, Optional

import libcst as cst

from ckptlint.semantic.core.index import FunctionNode
from ckptlint.semantic.data.signatures import SIGNATURES, Signature


@dataclass(frozen=True)
class BoundArguments:
    """Which argument supplies which parameter, and what cannot be known."""

    by_name: Dict[str, cst.Arg]
    star_args_from: Optional[int]  # index of the first `*args`, if any
    has_star_kwargs: bool

    def may_supply(self, parameter: str, signature: Signature) -> bool:
        """True when ``parameter`` is given, or an unpacking might give it."""
        if parameter in self.by_name or self.has_star_kwargs:
            return True
        if self.star_args_from is not None and parameter in signature.positional:
            return signature.positional.index(parameter) >= self.star_args_from
        return False


def bind(call: cst.Call, signature: Signature) -> BoundArguments:
    by_name: Dict[str, cst.Arg] = {}
    star_args_from: Optional[int] = None
    has_star_kwargs = False
    position = 0
    for arg in call.args:
        if arg.star == "**":
            has_star_kwargs = True
        elif arg.star == "*":
            if star_args_from is None:
                star_args_from = position
        elif arg.keyword is not None:
            by_name[arg.keyword.value] = arg
        else:
            if star_args_from is None and position < len(signature.positional):
                by_name[signature.positional[position]] = arg
            position += 1
    return BoundArguments(by_name, star_args_from, has_star_kwargs)


@dataclass(frozen=True, eq=False)
class CallSite:
    """A call of a resolved function, as rules see it."""

    node: cst.Call
    qualname: str
    function: Optional[FunctionNode]  # the enclosing function; None at module level
    class_def: Optional[cst.ClassDef]
    is_expression_statement: bool

    @property
    def signature(self) -> Signature:
        return SIGNATURES.get(self.qualname, Signature(positional=()))

    @cached_property
    def arguments(self) -> BoundArguments:
        # Bound once: rules and facts ask a call for its arguments many times (each save against
        # each load of the module, for one). `cached_property` writes the instance's dict, which
        # a frozen dataclass allows.
        return bind(self.node, self.signature)

    def arg(self, parameter: str) -> Optional[cst.Arg]:
        """The argument bound to ``parameter``, given by position or keyword."""
        return self.arguments.by_name.get(parameter)

    def may_supply(self, parameter: str) -> bool:
        return self.arguments.may_supply(parameter, self.signature)
