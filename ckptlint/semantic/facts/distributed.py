"""Distributed facts: is this a distributed script, what state is collective, which samplers shuffle.

- The catalog's "Distributed script": a module that calls
  `init_process_group` (itself, or through a same-file function that does),
  wraps a model in DDP/FSDP or calls `fully_shard`, builds a
  `DistributedSampler`, or reads `LOCAL_RANK` / `RANK` from the environment.
- `writes_collective_state(save)` (CKPT301): the save writes sharded or
  collective state, which every rank must take: a `state_dict()` of an
  FSDP-wrapped model (any model's, in a file that calls `fully_shard`),
  `get_model_state_dict`/`get_state_dict`, or a ZeRO optimizer's state after
  `consolidate_state_dict` in the same function.
- `sampler_uses` (CKPT303): every shuffling `DistributedSampler` with an epoch
  loop that iterates its loader, and whether that loop calls `set_epoch`
  (directly, or in a same-file function it calls). The sampler and its loader
  are followed through returns (`core/flows.py`, `holders`): a loader built
  in `prepare_dataloaders` and returned with its sampler is iterated by the
  caller's epoch loop under the caller's names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import List, Optional, Tuple

import libcst as cst

from ckptlint.semantic.core.module import ModuleCore
from ckptlint.semantic.core.syntax import is_name, is_state_dict_call, string_value
from ckptlint.semantic.core.words import last_names
from ckptlint.semantic.data import catalog
from ckptlint.semantic.facts.kinds import Kind, ObjectKinds
from ckptlint.semantic.facts.loops import Loop, Loops
from ckptlint.semantic.facts.saves import SaveSite

COLLECTIVE_STATE_CALLS = frozenset(
    {
        "torch.distributed.checkpoint.state_dict.get_model_state_dict",
        "torch.distributed.checkpoint.state_dict.get_state_dict",
        "torch.distributed.checkpoint.state_dict.get_optimizer_state_dict",
        "torch.distributed.fsdp.FullyShardedDataParallel.full_optim_state_dict",
        "torch.distributed.fsdp.FullyShardedDataParallel.optim_state_dict",
        "torch.distributed.fsdp.FullyShardedDataParallel.sharded_optim_state_dict",
    }
)


@dataclass(frozen=True, eq=False)
class SamplerUse:
    """A shuffling `DistributedSampler`, its loader, and an epoch loop that iterates that loader."""

    sampler_call: cst.Call
    sampler: Optional[str]  # how the loop's function spells the sampler (`train_sampler`), if it holds it
    loader: Optional[str]  # how it spells the loader (`train_loader`, `self.loader`), if it holds it
    loop: Loop  # the epoch loop
    sets_epoch: bool  # the loop calls `set_epoch`, directly or in a same-file function it calls


# A process group is started by a call spelled with its function's last name (`init_process_group`).
_PROCESS_GROUP_WORDS = last_names(catalog.PROCESS_GROUP_STARTS)


class DistributedFacts:
    def __init__(self, core: ModuleCore, kinds: ObjectKinds, loops: Loops) -> None:
        self._core = core
        self._kinds = kinds
        self._loops = loops

    # -- is this a distributed script --------------------------------------------
    @cached_property
    def starts_process_group(self) -> bool:
        """Calls `init_process_group`, itself or through a project function that does
        (`utils.init_distributed_mode(args)`)."""
        if self._core.calls_to(*catalog.PROCESS_GROUP_STARTS):
            return True
        for call in self._core.tree.nodes(cst.Call):
            external = self._core.external_function_involving(call, _PROCESS_GROUP_WORDS)
            if external is not None and external.starts_process_group:
                return True
        return False

    @cached_property
    def wraps_distributed(self) -> bool:
        """DDP / FSDP / `fully_shard`."""
        wraps = [name for name, wrap in catalog.WRAPS.items() if wrap in ("ddp", "fsdp")]
        return bool(self._core.calls_to(*wraps, *catalog.FULLY_SHARD))

    @cached_property
    def builds_distributed_sampler(self) -> bool:
        return bool(self._core.calls_to(*catalog.DISTRIBUTED_SAMPLERS))

    @cached_property
    def reads_rank_from_env(self) -> bool:
        core = self._core
        if not any(var in core.text for var in catalog.RANK_VARIABLES):
            return False
        for site in core.calls_to("os.environ.get", "os.getenv"):
            if site.node.args and _rank_literal(site.node.args[0].value):
                return True
        return any(
            core.qualname(node.value) == "os.environ" and _rank_literal(_index(node))
            for node in core.tree.nodes(cst.Subscript)
        )

    @property
    def is_distributed(self) -> bool:
        return (
            self.starts_process_group
            or self.wraps_distributed
            or self.builds_distributed_sampler
            or self.reads_rank_from_env
        )

    # -- what a save writes (CKPT301) ------------------------------------------
    def writes_collective_state(self, save: SaveSite) -> bool:
        """The save writes sharded or collective state (see the module docstring)."""
        core = self._core
        obj = save.obj
        if obj is None:
            return False
        values: List[cst.CSTNode] = [obj]
        if isinstance(obj, cst.Name):
            binding = core.bindings.reaching(obj.value, save.call)
            if binding is not None and binding.value is not None:
                values.append(binding.value)
        fully_shards = bool(core.calls_to(*catalog.FULLY_SHARD))
        for value in values:
            for call in core.tree.nodes_within(value, cst.Call):
                if core.qualname(call.func) in COLLECTIVE_STATE_CALLS:
                    return True
                if is_state_dict_call(call):
                    kind = self._kinds.of(call.func.value)  # type: ignore[attr-defined]
                    if kind is not None and (kind.wrap == "fsdp" or fully_shards and kind.kind is Kind.MODEL):
                        return True
        return save.function is not None and "consolidate_state_dict" in core.code(save.function)

    # -- DistributedSampler and the epoch loops that iterate its loader (CKPT303) -----
    @cached_property
    def sampler_uses(self) -> List[SamplerUse]:
        """Every (shuffling sampler, epoch loop over its loader) pair in the file.

        A sampler that does not shuffle (`shuffle=` anything but a missing argument or
        literal `True`) is skipped: `shuffle=args.shuffle` may be False, so it is silent.
        The loader is a `DataLoader(..., sampler=<sampler>)` of the sampler's function
        that some name or attribute holds; the epoch loops are those of the functions
        that hold the loader or the sampler (there, or through returns), after they
        are assigned, whose body mentions either."""
        core = self._core
        uses: List[SamplerUse] = []
        loaders = core.calls_to(*catalog.DATALOADER_CLASSES)
        for site in core.calls_to(*catalog.DISTRIBUTED_SAMPLERS):
            if not _shuffles(site.node):
                continue
            sampler_holders = core.flows.holders(site.node)
            sampler = self._assigned_spelling(site.node)
            for loader_call in loaders:
                argument = next(
                    (a.value for a in loader_call.node.args if a.keyword is not None and a.keyword.value == "sampler"), None
                )
                if argument is None or not (argument is site.node or sampler is not None and core.code(argument) == sampler):
                    continue
                if loader_call.function is not site.function:
                    continue
                loader_holders = core.flows.holders(loader_call.node)
                if not loader_holders:
                    continue
                for loop in self._loops.epoch_loops:
                    use = self._use(site.node, loop, loader_holders, sampler_holders)
                    if use is not None:
                        uses.append(use)
        return uses

    def _use(
        self,
        sampler_call: cst.Call,
        loop: Loop,
        loader_holders: Tuple[cst.BaseExpression, ...],
        sampler_holders: Tuple[cst.BaseExpression, ...],
    ) -> Optional[SamplerUse]:
        """``loop`` iterates the loader: its function holds the loader or the sampler before it,
        and its body mentions one of them."""
        core = self._core
        loader = self._held_in(loop, loader_holders)
        sampler = self._held_in(loop, sampler_holders)
        body = core.code(loop.node.body)
        if not any(re.search(rf"(?<![\w.]){re.escape(n)}\b", body) for n in (loader, sampler) if n):
            return None
        return SamplerUse(sampler_call, sampler, loader, loop, self._sets_epoch(loop.node.body, body))

    def _held_in(self, loop: Loop, holders: Tuple[cst.BaseExpression, ...]) -> Optional[str]:
        """How ``loop``'s function spells the holder assigned there before the loop, if one."""
        tree = self._core.tree
        for target in holders:
            if tree.enclosing_function(target) is loop.function and tree.before(target, loop.node):
                return self._core.code(target)
        return None

    def _assigned_spelling(self, call: cst.Call) -> Optional[str]:
        parent = self._core.parent(call)
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
            target = parent.targets[0].target
            if isinstance(target, (cst.Name, cst.Attribute)):
                return self._core.code(target)
        return None

    def _sets_epoch(self, body: cst.CSTNode, text: str) -> bool:
        if "set_epoch" in text:
            return True
        setters = self._functions_setting_epoch
        callgraph = self._core.callgraph
        for call in self._core.tree.nodes_within(body, cst.Call):
            if id(callgraph.function_of(call)) in setters:
                return True
            external = self._core.external_function(call)
            if external is not None and external.sets_epoch:
                return True
        return False

    def sets_epoch(self, function: cst.FunctionDef) -> bool:
        """``function`` calls `set_epoch`, directly or through same-file functions."""
        return id(function) in self._functions_setting_epoch

    @cached_property
    def _functions_setting_epoch(self) -> frozenset:
        """Ids of the same-file functions that call `set_epoch`, directly or through each other."""
        if "set_epoch" not in self._core.text:
            return frozenset()
        direct = {
            id(function)
            for call in self._core.tree.nodes(cst.Call)
            if isinstance(call.func, cst.Attribute) and call.func.attr.value == "set_epoch"
            for function in [self._core.tree.enclosing_function(call)]
            if function is not None
        }
        return frozenset(self._core.callgraph.reaches(direct))


def _index(node: cst.Subscript) -> Optional[cst.BaseExpression]:
    if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        return node.slice[0].slice.value
    return None


def _rank_literal(node: Optional[cst.BaseExpression]) -> bool:
    return string_value(node) in catalog.RANK_VARIABLES


def _shuffles(call: cst.Call) -> bool:
    shuffle = next((a.value for a in call.args if a.keyword is not None and a.keyword.value == "shuffle"), None)
    if shuffle is None:
        positional = [a for a in call.args if a.keyword is None and not a.star]
        shuffle = positional[3].value if len(positional) > 3 else None  # (dataset, num_replicas, rank, shuffle)
    return shuffle is None or is_name(shuffle, "True")
