"""Say what a loaded checkpoint holds: weights, training state, RNG, counters.

Recognition is by shape first (an optimizer state dict is a mapping with
``state`` and ``param_groups`` whatever its key), by name second (which state
dict is *the* model, which key holds RNG state). Only the top level of the
payload is searched, plus lists of states (Lightning's ``optimizer_states``):
that is where every common layout keeps them, and it keeps a config dict that
happens to contain ``epoch`` from being taken for a counter.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence

from ckptlint.inspection import layouts
from ckptlint.inspection.report import Contents, Pointer, Rng, Scalar, TrainingState, Weights, plural
from ckptlint.inspection.rng import describe_rng, is_rng_key
from ckptlint.inspection.tensors import is_state_dict, is_tensor, summarise_state_dict
from ckptlint.runtime.format import CHECKPOINT_FORMAT_FAMILY, MIGRATION_KEY, POINTER_FORMAT


@dataclass
class _Found:
    """The parts met while walking the top level, in file order."""

    state_dicts: Dict[str, Mapping[str, Any]] = field(default_factory=dict)
    optimizers: List[TrainingState] = field(default_factory=list)
    schedulers: List[TrainingState] = field(default_factory=list)
    scalers: List[TrainingState] = field(default_factory=list)
    rng: List[Rng] = field(default_factory=list)
    counters: Dict[str, Scalar] = field(default_factory=dict)
    versions: Dict[str, str] = field(default_factory=dict)
    other_keys: List[str] = field(default_factory=list)


def classify(payload: Any, path: str, saved_locations: Mapping[int, str]) -> Contents:
    """Describe ``payload``, loaded from ``path``."""
    if is_state_dict(payload):
        weights = summarise_state_dict("", payload, True, saved_locations)
        return Contents(layout="bare-state-dict", kind="weights-only", weights=(weights,))
    if not isinstance(payload, Mapping):
        return Contents(layout="other", kind="unrecognised", other_keys=(type(payload).__name__,))
    fmt = payload.get("format")
    if fmt == POINTER_FORMAT:
        return Contents(layout="ckptlint-pointer", kind="pointer", format=fmt,
                        pointer=_pointer(payload, path))
    layout = "ckptlint" if isinstance(fmt, str) and fmt.startswith(CHECKPOINT_FORMAT_FAMILY) else "dict"
    if not isinstance(fmt, str):  # a file `ckptlint migrate` rewrote says so in its record
        fmt = _migration_format(payload.get(MIGRATION_KEY))
    skipped = {"format"} | (layouts.CKPTLINT_BOOKKEEPING_KEYS if layout == "ckptlint" else set())
    found = _Found()
    for key, value in payload.items():
        if key not in skipped and value is not None:  # None: a part that was not saved
            _place(str(key), value, found)
    return _contents(layout, fmt if isinstance(fmt, str) else None, found, saved_locations)


def _migration_format(record: Any) -> Optional[str]:
    fmt = record.get("format") if isinstance(record, Mapping) else None
    return fmt if isinstance(fmt, str) else None


def _contents(layout: str, fmt: Optional[str], found: _Found,
              saved_locations: Mapping[int, str]) -> Contents:
    model_key = _model_key(list(found.state_dicts))
    weights = tuple(summarise_state_dict(key, state, key == model_key, saved_locations)
                    for key, state in found.state_dicts.items())
    kind = kind_of(weights, found.optimizers)
    versions = dict(found.versions)
    torch_version = next((versions.pop(k) for k in layouts.TORCH_VERSION_KEYS if k in versions), None)
    return Contents(layout=layout, kind=kind, format=fmt, weights=weights, optimizers=tuple(found.optimizers),
                    schedulers=tuple(found.schedulers), scalers=tuple(found.scalers),
                    rng=tuple(found.rng), counters=found.counters, torch_version=torch_version,
                    versions=versions, other_keys=tuple(found.other_keys))


def kind_of(weights: Sequence[Weights], optimizers: Sequence[TrainingState]) -> str:
    """Model weights plus optimizer state make a training checkpoint; weights alone do not."""
    if weights and optimizers:
        return "training-checkpoint"
    return "weights-only" if weights else "unrecognised"


def _model_key(keys: List[str]) -> Optional[str]:
    """The state dict that is the model: a conventional name, else the only one."""
    named = next((name for name in layouts.MODEL_KEYS if name in keys), None)
    if named is not None:
        return named
    return keys[0] if len(keys) == 1 else None


def _place(key: str, value: Any, found: _Found) -> None:
    """File one top-level entry under the part it is."""
    if is_state_dict(value):
        found.state_dicts[key] = value
        return
    if _place_training_state(key, value, found):
        return
    rng = describe_rng(key, value) if is_rng_key(key) else None
    counter = _counter_value(key, value)
    in_meta = key in layouts.META_KEYS and isinstance(value, Mapping)
    versions = _versions(value if in_meta else {key: value})
    if rng is not None:
        found.rng.append(rng)
    elif counter is not None:
        found.counters[key] = counter
    elif versions:  # the first record of a version wins (a migration record comes last)
        for name, version in versions.items():
            found.versions.setdefault(name, version)
    elif not in_meta:
        found.other_keys.append(key)


def _place_training_state(key: str, value: Any, found: _Found) -> bool:
    """An optimizer, scheduler or scaler state dict, alone or in a list (one per optimizer)."""
    is_list = isinstance(value, (list, tuple))
    items = list(value) if is_list else [value]
    if not items:
        return False
    for is_kind, summarise, bucket in ((_is_optimizer, _optimizer_summary, found.optimizers),
                                       (_is_scheduler, _scheduler_summary, found.schedulers),
                                       (_is_scaler, _scaler_summary, found.scalers)):
        if all(is_kind(item) for item in items):
            bucket.extend(TrainingState(f"{key}[{i}]" if is_list else key, summarise(item))
                          for i, item in enumerate(items))
            return True
    return False


def _is_optimizer(value: Any) -> bool:
    return (isinstance(value, Mapping) and layouts.OPTIMIZER_KEYS <= value.keys()
            and isinstance(value["state"], Mapping) and isinstance(value["param_groups"], (list, tuple)))


def _is_scheduler(value: Any) -> bool:
    return (isinstance(value, Mapping) and layouts.SCHEDULER_KEYS <= value.keys()
            and bool(layouts.SCHEDULER_HINT_KEYS & value.keys()))


def _is_scaler(value: Any) -> bool:
    return isinstance(value, Mapping) and layouts.SCALER_KEYS <= value.keys()


def _optimizer_summary(state: Mapping[str, Any]) -> str:
    groups = [g for g in state["param_groups"] if isinstance(g, Mapping)]
    rates = sorted({_show(_number(g["lr"])) for g in groups if "lr" in g})
    text = f"{plural(len(groups), 'param group')}, state for {plural(len(state['state']), 'parameter')}"
    return text + (f", lr {', '.join(rates)}" if rates else "")


def _scheduler_summary(state: Mapping[str, Any]) -> str:
    last_lr = state.get("_last_lr")
    rates = f", lr {', '.join(_show(_number(x)) for x in last_lr)}" if isinstance(last_lr, list) else ""
    return f"last_epoch {_show(_number(state['last_epoch']))}{rates}"


def _scaler_summary(state: Mapping[str, Any]) -> str:
    return f"scale {_show(_number(state['scale']))}, growth factor {_show(_number(state['growth_factor']))}"


def _counter_value(key: str, value: Any) -> Optional[Scalar]:
    """CKPT106's counter: a number under a key containing epoch, step or iter."""
    if not any(word in key.lower() for word in layouts.COUNTER_WORDS):
        return None
    number = _number(value)
    return number if isinstance(number, (int, float)) and not isinstance(number, bool) else None


def _versions(mapping: Mapping[Any, Any]) -> Dict[str, str]:
    return {str(k): v for k, v in mapping.items()
            if isinstance(v, str) and (str(k) in layouts.TORCH_VERSION_KEYS
                                       or str(k).lower().endswith(layouts.VERSION_SUFFIX))}


def _pointer(payload: Mapping[str, Any], path: str) -> Pointer:
    target = str(payload.get("file"))
    exists = os.path.exists(os.path.join(os.path.dirname(os.path.abspath(path)), target))
    return Pointer(target=target, target_exists=exists, epoch=_number(payload.get("epoch")),
                   step=_number(payload.get("step")))


def _number(value: Any) -> Any:
    """A 0-d tensor as its Python number; anything else unchanged."""
    if is_tensor(value) and value.numel() == 1:
        return value.item()
    return value


def _show(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
