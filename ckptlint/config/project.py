"""Facts about the project read from its declared dependencies.

The target torch version defaults to the lower bound of `torch` in
`[project].dependencies` (and optional dependencies); the runtime companion
counts as available when `ckptlint[runtime]` is declared there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, List, Mapping, Optional, Tuple

if TYPE_CHECKING:
    from packaging.requirements import Requirement

_LOWER_BOUND_OPERATORS = (">=", "==", "~=", ">", "===")


@dataclass(frozen=True)
class DeclaredDependencies:
    torch_lower_bound: Optional[Tuple[int, int]] = None
    runtime_declared: bool = False


def _requirements(pyproject: Mapping[str, object]) -> List[str]:
    project = pyproject.get("project")
    if not isinstance(project, dict):
        return []
    found: List[str] = [r for r in project.get("dependencies") or [] if isinstance(r, str)]
    optional = project.get("optional-dependencies")
    if isinstance(optional, dict):
        for group in optional.values():
            found.extend(r for r in group or [] if isinstance(r, str))
    return found


def _lower_bound(requirement: "Requirement") -> Optional[Tuple[int, int]]:
    from packaging.version import InvalidVersion, Version

    bounds = []
    for spec in requirement.specifier:
        if spec.operator not in _LOWER_BOUND_OPERATORS:
            continue
        try:
            version = Version(spec.version.rstrip(".*"))
        except InvalidVersion:
            continue
        bounds.append((version.major, version.minor))
    return max(bounds) if bounds else None


def declared_dependencies(pyproject: Mapping[str, object]) -> DeclaredDependencies:
    requirements = _requirements(pyproject)
    if not requirements:
        return DeclaredDependencies()
    # Imported here: most runs (and every `ckptlint --version`) never need it.
    from packaging.requirements import InvalidRequirement, Requirement

    torch_bound: Optional[Tuple[int, int]] = None
    runtime = False
    for text in requirements:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        name = requirement.name.lower().replace("_", "-")
        if name == "torch":
            bound = _lower_bound(requirement)
            if bound is not None:
                torch_bound = bound if torch_bound is None else min(torch_bound, bound)
        elif name == "ckptlint" and "runtime" in requirement.extras:
            runtime = True
    return DeclaredDependencies(torch_bound, runtime)


def parse_torch_version(text: str, where: str) -> Tuple[int, int]:
    from packaging.version import InvalidVersion, Version

    from ckptlint.config.errors import ConfigError

    try:
        version = Version(text)
    except InvalidVersion:
        raise ConfigError(f"{where}: `{text}` is not a version such as \"2.6\"") from None
    return (version.major, version.minor)


