"""Source samples for the core's agreement tests: every rule example, every fixture, odd syntax."""

from __future__ import annotations

import os

from support import FIXTURES

from ckptlint.engine.source import read_source
from ckptlint.rules.registry import RULES

SYNTAX = [
    "@dec(a())\nasync def f(a: t() = d(), /, *b: s(), c=k(), **e) -> r():\n    return [y(v) async for y in g() if (z := h())]\n",
    "x = f'{a()!r:>{w()}} {b()}'\nmatch p():\n    case [1, *rest] | {'k': v} if cond():\n        q()\n",
    "@deco()\nclass A(B(), metaclass=M()):\n    x: i() = lambda q=one(): q(two())\n    del x[s():e(), ...]\n",
    "try:\n    t()\nexcept* (E(), F) as e:\n    raise X() from e()\nfinally:\n    fin()\n",
    "v = a() if b() else c()\nw = {k(): v() for k in ks() if p()}\nprint(*xs(), key=kf(), **kw())\n",
    "with o() as a, p() as b:\n    for i in r():\n        while w():\n            yield (yy() for _ in z())\n",
]


def _sources():
    for rule in RULES:
        for index, example in enumerate(rule.VALID + rule.INVALID):
            yield f"{rule.code}-{index}", example.source
    for directory, _, files in os.walk(FIXTURES):
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                yield os.path.relpath(path, FIXTURES), read_source(path, 10**7).text
    for index, text in enumerate(SYNTAX):
        yield f"syntax-{index}", text


CASES = list(_sources())
IDS = [case[0] for case in CASES]
