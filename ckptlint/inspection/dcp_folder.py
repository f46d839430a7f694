"""Inspect a torch.distributed.checkpoint folder without loading its shards.

A DCP save is a folder of ``__{rank}_{i}.distcp`` data files plus
``.metadata``, which ``FileSystemWriter`` writes last (through a temp file and
a rename): shards without ``.metadata`` are a save that never finished.
``.metadata`` is a plain pickle, so it is read the way a ``torch.save`` file
is: its globals listed first, then unpickled with only DCP's own metadata
classes allowed (torch's ``FileSystemReader.read_metadata`` would run any
code in it).

Completeness is checked from the metadata too: every byte range it assigns to
a shard file must exist, so a missing or cut-short shard is found without
reading it.
"""

from __future__ import annotations

import os
import pickle
import re
from typing import Any, Dict, List, Tuple

from ckptlint.inspection import layouts
from ckptlint.inspection.dcp_contents import describe_metadata
from ckptlint.inspection.findings import content_findings, finding, truncated_finding, unsafe_global_findings
from ckptlint.inspection.report import Contents, FileReport, Finding, Shard
from ckptlint.inspection.safe_pickle import (RefusedGlobalError, globals_in_pickle_file, load_allowlisted,
                                             refused_globals)
from ckptlint.runtime.format import DCP_METADATA_NAME

_METADATA_READER = f"reading {DCP_METADATA_NAME} with DCP's metadata classes only"


def is_dcp_folder(path: str) -> bool:
    """A folder holding ``.metadata`` or shard files (a finished or an unfinished DCP save)."""
    return os.path.isdir(path) and (os.path.isfile(os.path.join(path, DCP_METADATA_NAME))
                                    or bool(_shards(path)))


def inspect_dcp_folder(path: str, allow_weights_only: bool) -> FileReport:
    shards = _shards(path)
    size = sum(shard.bytes for shard in shards)
    metadata_path = os.path.join(path, DCP_METADATA_NAME)
    if not os.path.isfile(metadata_path):
        return FileReport(path, "dcp", size, readable=False, shards=shards, findings=(truncated_finding(
            f"an unfinished torch.distributed.checkpoint save: {len(shards)} shard file(s) but no "
            f"{DCP_METADATA_NAME}, which is written last"),))
    size += os.path.getsize(metadata_path)
    try:
        refused = refused_globals(globals_in_pickle_file(metadata_path), layouts.DCP_METADATA_GLOBALS)
        metadata = None if refused else load_allowlisted(metadata_path, layouts.DCP_METADATA_GLOBALS)
    except RefusedGlobalError as exc:  # a global the static scan could not see
        refused = [exc.qualified_name]
    except (ValueError, EOFError, pickle.UnpicklingError) as exc:
        return FileReport(path, "dcp", size, readable=False, shards=shards, findings=(truncated_finding(
            f"{DCP_METADATA_NAME} is truncated or corrupt: {type(exc).__name__}: {exc}"),))
    if refused:
        return FileReport(path, "dcp", size, readable=True, shards=shards, unsafe_globals=tuple(refused),
                          findings=tuple(unsafe_global_findings(refused, _METADATA_READER)))
    missing = _missing_bytes(path, metadata)
    if missing:
        return FileReport(path, "dcp", size, readable=False, shards=shards,
                          findings=(truncated_finding("; ".join(missing)),))
    contents = describe_metadata(metadata)
    findings = content_findings(contents, allow_weights_only) + _shared_rng(contents, shards)
    return FileReport(path, "dcp", size, readable=True, contents=contents, shards=shards,
                      findings=tuple(findings))


def _shards(path: str) -> Tuple[Shard, ...]:
    names = sorted(n for n in os.listdir(path) if n.endswith(layouts.DCP_SHARD_SUFFIX))
    return tuple(Shard(name, os.path.getsize(os.path.join(path, name))) for name in names)


def _missing_bytes(path: str, metadata: Any) -> List[str]:
    """Shard files the metadata needs that are absent or shorter than the ranges it names."""
    needed: Dict[str, int] = {}
    storage = metadata.storage_data if isinstance(metadata.storage_data, dict) else {}
    for info in storage.values():
        name = str(getattr(info, "relative_path", ""))
        end = int(getattr(info, "offset", 0)) + int(getattr(info, "length", 0))
        needed[name] = max(needed.get(name, 0), end)
    problems = []
    for name, end in sorted(needed.items()):
        file = os.path.join(path, name)
        if not os.path.isfile(file):
            problems.append(f"shard {name} is missing")
        elif os.path.getsize(file) < end:
            problems.append(f"shard {name} is truncated ({os.path.getsize(file):,} of {end:,} bytes)")
    return problems


def _shared_rng(contents: Contents, shards: Tuple[Shard, ...]) -> List[Finding]:
    """RNG under one key in a save by several ranks: DCP keeps a single rank's copy
    of a replicated key, so the other ranks' states are silently lost (RUNTIME.md §1.5)."""
    ranks = {m.group(1) for s in shards if (m := re.match(layouts.DCP_SHARD_RANK_PATTERN, s.name))}
    if len(ranks) < 2:
        return []
    return [finding("missing-rng-state", (
        f"`{rng.location}` is one key shared by {len(ranks)} ranks: torch.distributed.checkpoint "
        "keeps one rank's copy, so the other ranks' RNG states are lost; save one key per rank "
        f"({rng.location}.rank{{r}})")) for rng in contents.rng if rng.ranks is None]
