"""What a rule is: metadata, documentation, examples and `check_*` hooks.

Rules are stateless classes that read the shared `SemanticModel` through a
`Context` and call `ctx.report`. They never walk the tree for names, never
parse, and never import `libcst.metadata` (a registry test enforces it).

The engine routes the model's sites to the hooks a rule implements, so a rule
is about one site and never iterates the model for it:
- `check_call(call, ctx)`: each call of a name in the rule's `calls`;
- `check_save(save, ctx)`: each save (`model.saves.sites`, catalog "Save");
- `check_load(load, ctx)`: each checkpoint load (`model.resume.loads`);
- `check_module(ctx)`: once, for rules about the whole file.
`applies(ctx)` is the module-level condition of all of them ("a distributed
script"): asked once, only when there is something to check.

A fix is passed to `ctx.report` as what builds it (`functools.partial(self._fix,
ctx, ...)`), not built: the engine builds it only when the caller reads fixes
(the command line does; the language server asks for the ones under the
cursor). A builder takes its values at the call, so a loop's next site never
changes the fix of the previous one.
"""

from __future__ import annotations

import enum
import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, ClassVar, List, Mapping, Optional, Sequence, Set, Tuple, Union

import libcst as cst

from ckptlint.fixes.model import Applicability, Edit, Fix

if TYPE_CHECKING:
    from ckptlint.config.settings import ProjectSettings
    from ckptlint.semantic.core.calls import CallSite
    from ckptlint.semantic.facts.resume import LoadSite
    from ckptlint.semantic.facts.saves import SaveSite
    from ckptlint.semantic.model import SemanticModel


class FixAvailability(enum.Enum):
    NEVER = "never"
    SOMETIMES = "sometimes"
    ALWAYS = "always"


@dataclass(frozen=True)
class Valid:
    """Code on which the rule must stay silent. With ``modules`` (path -> source,
    the other modules of its project) the example is the project's `train.py`."""

    code: str
    settings: Mapping[str, object] = field(default_factory=dict)  # `[tool.ckptlint]` keys
    modules: Mapping[str, str] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return textwrap.dedent(self.code).lstrip("\n")


@dataclass(frozen=True)
class Invalid:
    """Code on which the rule must fire; ``fixed`` is the text after its fixes
    of ``applicability`` (and below) are applied."""

    code: str
    fixed: Optional[str] = None
    applicability: Applicability = Applicability.SAFE
    settings: Mapping[str, object] = field(default_factory=dict)
    modules: Mapping[str, str] = field(default_factory=dict)  # as in `Valid`

    @property
    def source(self) -> str:
        return textwrap.dedent(self.code).lstrip("\n")

    @property
    def fixed_source(self) -> Optional[str]:
        return None if self.fixed is None else textwrap.dedent(self.fixed).lstrip("\n")


# A fix, or what builds it when someone reads it (None from the builder: no fix after all).
FixBuilder = Callable[[], Optional[Fix]]


@dataclass(frozen=True)
class Report:
    node: cst.CSTNode
    message: str
    fix: Union[Fix, FixBuilder, None]

    def build_fix(self) -> Optional[Fix]:
        return self.fix() if callable(self.fix) else self.fix


class Context:
    """What a rule sees while checking one file."""

    def __init__(self, model: "SemanticModel", rule: "Rule", project: "ProjectSettings") -> None:
        self.model = model
        self.rule = rule
        self.project = project
        self.reports: List[Report] = []
        self._reported: Set[Tuple[int, str]] = set()

    def report(
        self, node: cst.CSTNode, *, message: Optional[str] = None, fix: Union[Fix, FixBuilder, None] = None
    ) -> None:
        """Report a finding anchored at ``node`` (its first line is the noqa line). A finding the
        rule already reported (same node, same message) is one finding: a `state_dict()` call
        that two saves write is reported once. ``fix`` is best given as its builder (see the
        module's docstring): it is then built only if it is read."""
        text = message or self.rule.message
        if (id(node), text) not in self._reported:
            self._reported.add((id(node), text))
            self.reports.append(Report(node, text, fix))

    def fix(self, edits: Sequence[Optional[Edit]], applicability: Applicability, title: Optional[str] = None) -> Fix:
        """A fix from ``edits`` (``None`` entries, such as an import already present, are dropped)."""
        return Fix(
            edits=tuple(edit for edit in edits if edit is not None),
            applicability=applicability,
            title=title or self.rule.fix_title or "",
        )


class Rule:
    """Base class: subclasses set the metadata and implement a `check_*` hook."""

    code: ClassVar[str]
    name: ClassVar[str]
    message: ClassVar[str]
    fix_title: ClassVar[Optional[str]] = None
    fix_availability: ClassVar[FixAvailability] = FixAvailability.NEVER
    # The catalog's fix class, as users read it: "safe", "unsafe", "none", or
    # "safe or unsafe" when the rule decides per site.
    fix_class: ClassVar[str] = "none"
    opt_in: ClassVar[bool] = False
    # Canonical names of the calls this rule inspects; the engine routes
    # matching call sites to `check_call`.
    calls: ClassVar[Tuple[str, ...]] = ()
    # Words the source text must contain for this rule to possibly fire: every
    # group needs one of its words (see `engine/prefilter.py`). A rule that
    # declares too little here loses findings; tests run every example with
    # and without the pre-filter to catch that.
    requires: ClassVar[Tuple[Tuple[str, ...], ...]] = (("torch",),)
    VALID: ClassVar[List[Valid]] = []
    INVALID: ClassVar[List[Invalid]] = []

    def applies(self, ctx: Context) -> bool:
        """Whether the module is this rule's business at all; asked once, before the first hook
        that has a site to check (or before `check_module`). When False, no hook runs."""
        return True

    def check_call(self, call: "CallSite", ctx: Context) -> None:
        """Called once per call site of a name in `calls`."""

    def check_save(self, save: "SaveSite", ctx: Context) -> None:
        """Called once per save site (`model.saves.sites`), in source order."""

    def check_load(self, load: "LoadSite", ctx: Context) -> None:
        """Called once per checkpoint load (`model.resume.loads`), in source order."""

    def check_module(self, ctx: Context) -> None:
        """Called once per file, for rules that are not about one site."""

    @classmethod
    def implements(cls, hook: str) -> bool:
        """Whether the rule overrides ``hook`` (`"check_save"`...): the engine computes the sites
        of a hook only for rules that implement it."""
        return getattr(cls, hook) is not getattr(Rule, hook)

    @classmethod
    def summary(cls) -> str:
        """The one-line description used by `rule --all` and SARIF."""
        doc = textwrap.dedent(cls.__doc__ or "").strip()
        lines = doc.splitlines()
        for index, line in enumerate(lines):
            if line.strip() == "## What it does":
                return " ".join(l.strip() for l in _paragraph(lines[index + 1 :]))
        return cls.message


def _paragraph(lines: Sequence[str]) -> List[str]:
    out: List[str] = []
    for line in lines:
        if not line.strip():
            if out:
                break
            continue
        out.append(line)
    return out

