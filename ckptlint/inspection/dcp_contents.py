"""Describe a torch.distributed.checkpoint save from its metadata alone.

``Metadata.state_dict_metadata`` maps every flattened key ("model.0.weight",
"optim.state.0.exp_avg") to a ``TensorStorageMetadata`` (size and dtype) or a
``BytesStorageMetadata`` (a pickled Python value). Keys are grouped by their
top-level entry (``planner_data`` records each key's path in the original
dict), and each group is recognised by the same shapes as a ``torch.save``
payload: ``state`` + ``param_groups`` is an optimizer, an all-tensor group is
weights. Values are never read (that would mean loading the shards), so
counters are reported by name only, with no value.
"""

from __future__ import annotations

import collections
import dataclasses
import math
import re
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ckptlint.inspection import layouts
from ckptlint.inspection.classify import kind_of
from ckptlint.inspection.report import Contents, Rng, TrainingState, Weights, plural
from ckptlint.inspection.rng import (CUDA_CURRENT_DEVICE_ONLY, CUDA_EVERY_DEVICE, CUDA_NONE, CUDA_UNKNOWN,
                                    is_rng_key, source_named)
from ckptlint.inspection.tensors import wrapper_prefix
from ckptlint.runtime.format import SHARDED_COUNTERS, SHARDED_INFO_KEY

Path = Tuple[str, ...]
# Every flattened key of one top-level entry: (its path inside the entry, its storage metadata).
Leaves = List[Tuple[Path, Any]]
TOP_LEVEL = ""  # the group of model keys saved flat at the top level (torchtitan does this)


def describe_metadata(metadata: Any) -> Contents:
    """The Contents of a DCP save, from its ``Metadata`` object."""
    weights: List[Weights] = []
    parts: Dict[str, List[TrainingState]] = {"optimizer": [], "scheduler": [], "scaler": []}
    rng: List[Rng] = []
    counters: Dict[str, None] = {}
    other: List[str] = []
    groups = _groups(metadata)
    sharded_info = _ckptlint_sharded_info(groups)
    if sharded_info:
        counters.update(dict.fromkeys(sharded_info))
    for key, leaves in groups.items():
        if sharded_info and key == SHARDED_INFO_KEY:
            continue
        part = _training_part(leaves)
        if part is not None:
            parts[part].append(TrainingState(key, _summary(part, leaves)))
        elif is_rng_key(key):
            rng.append(_rng(key, leaves))
        elif _is_counter_group(key, leaves):
            counters.update(dict.fromkeys(_counter_names(key, leaves)))
        elif all(_is_tensor(storage) for _, storage in leaves) and any(path for path, _ in leaves):
            weights.append(_weights(key, leaves))
        else:
            other.append(key)
    weights = _mark_model(weights)
    layout = "ckptlint-sharded" if sharded_info else "dcp"
    return Contents(layout=layout, kind=kind_of(weights, parts["optimizer"]), weights=tuple(weights),
                    optimizers=tuple(parts["optimizer"]), schedulers=tuple(parts["scheduler"]),
                    scalers=tuple(parts["scaler"]), rng=tuple(rng), counters=counters,
                    other_keys=tuple(other))


def _ckptlint_sharded_info(groups: Dict[str, Leaves]) -> List[str]:
    """The counters inside ckptlint's info entry (one opaque bytes value), if the save has one."""
    leaves = groups.get(SHARDED_INFO_KEY, [])
    if len(leaves) != 1 or leaves[0][0] or _is_tensor(leaves[0][1]):
        return []
    return [f"{SHARDED_INFO_KEY}.{name}" for name in SHARDED_COUNTERS]


def _groups(metadata: Any) -> Dict[str, Leaves]:
    """Flattened keys by top-level entry, each with its path inside the entry.

    A top-level tensor whose own key is dotted ("layers.0.weight") is a model
    parameter saved flat; those are grouped together under TOP_LEVEL. Other
    dotted keys ("rng.rank0") are grouped by their first part.
    """
    planned = metadata.planner_data if isinstance(metadata.planner_data, Mapping) else {}
    groups: Dict[str, Leaves] = collections.defaultdict(list)
    for fqn, storage in metadata.state_dict_metadata.items():
        top, *rest = (str(part) for part in planned.get(fqn, fqn.split(".", 1)))
        if not rest and "." in top:  # a dotted key of the saved dict itself
            flat_parameter = _is_tensor(storage) and not is_rng_key(top)
            top, rest = (TOP_LEVEL, [top]) if flat_parameter else (top.split(".", 1)[0], [top.split(".", 1)[1]])
        groups[top].append((tuple(".".join(rest).split(".")) if rest else (), storage))
    return dict(groups)


def _is_tensor(storage: Any) -> bool:
    """A TensorStorageMetadata (a BytesStorageMetadata has neither field)."""
    return hasattr(storage, "properties") and hasattr(storage, "size")


def _training_part(leaves: Leaves) -> Optional[str]:
    names = {path[0] for path, _ in leaves if path}
    if layouts.OPTIMIZER_KEYS <= names:
        return "optimizer"
    if layouts.SCHEDULER_KEYS <= names and layouts.SCHEDULER_HINT_KEYS & names:
        return "scheduler"
    if layouts.SCALER_KEYS <= names:
        return "scaler"
    return None


def _summary(part: str, leaves: Leaves) -> str:
    if part != "optimizer":
        return "values in the shards (not read)"
    params = {path[1:-1] for path, _ in leaves if path[0] == "state"}  # state.<param>.<name>
    return f"state for {plural(len(params), 'parameter')}"


def _weights(key: str, leaves: Leaves) -> Weights:
    dtypes: Dict[str, int] = collections.Counter()
    parameters = nbytes = 0
    for _, storage in leaves:
        dtype = storage.properties.dtype
        numel = math.prod(storage.size)
        dtypes[str(dtype).replace("torch.", "")] += 1
        parameters += numel
        nbytes += numel * dtype.itemsize
    return Weights(location=key, is_model=False, tensors=len(leaves), parameters=parameters,
                   bytes=nbytes, dtypes=dict(dtypes.most_common()), devices=(),
                   prefix=wrapper_prefix(".".join(path) for path, _ in leaves))


def _mark_model(weights: List[Weights]) -> List[Weights]:
    """Flag the model: a conventional key, the flat top level, or the only group."""
    keys = [w.location for w in weights]
    model = next((k for k in (*layouts.MODEL_KEYS, TOP_LEVEL) if k in keys), None)
    if model is None and len(keys) == 1:
        model = keys[0]
    return [dataclasses.replace(w, is_model=w.location == model) for w in weights]


def _rng(key: str, leaves: Leaves) -> Rng:
    """Generators named by the leaves' keys (a bare tensor is torch's). DCP flattens
    ``get_rng_state_all()``'s list to ``cuda.0``, ``cuda.1``: a CUDA leaf under a
    list index covers every device, one without covers the current device only."""
    sources: Dict[str, str] = {}
    ranks = set()
    for path, storage in leaves:
        names = (key, *path)
        ranks.update(re.findall(layouts.RANK_KEY_PATTERN, ".".join(names)))
        source = next((s for s in map(source_named, reversed(names)) if s), None)
        if source == "cuda":
            covers_all = bool(path) and path[-1].isdigit()
            if covers_all or "cuda" not in sources:
                sources["cuda"] = CUDA_EVERY_DEVICE if covers_all else CUDA_CURRENT_DEVICE_ONLY
        elif source is not None or _is_tensor(storage):
            sources[source or "torch"] = ""
    cuda = sources.get("cuda", CUDA_NONE if sources else CUDA_UNKNOWN)  # opaque bytes: not read
    return Rng(location=key, sources=tuple(sorted(sources)), cuda=cuda, ranks=len(ranks) or None)


def _counter_names(key: str, leaves: Leaves) -> List[str]:
    """The flattened keys whose last part holds one of CKPT106's words."""
    names = [".".join((key, *path)) for path, _ in leaves]
    return [name for name in names if any(word in name.rsplit(".", 1)[-1].lower()
                                          for word in layouts.COUNTER_WORDS)]


def _is_counter_group(key: str, leaves: Leaves) -> bool:
    """Counters ("epoch", torchtitan's "train_state.step"): only counters, or counters among
    non-tensor values. An all-tensor group with one counter-like name is still weights."""
    counted = len(_counter_names(key, leaves))
    tensors_only = all(_is_tensor(storage) for _, storage in leaves)
    return counted > 0 and (counted == len(leaves) or not tensors_only)
