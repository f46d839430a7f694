"""The one explicit table of rules (tests check it against the rules package)."""

from __future__ import annotations

from typing import Dict, Optional, Tuple, Type

from ckptlint.rules.base import Rule
from ckptlint.rules.meta.ckpt001_unused_suppression import UnusedSuppression
from ckptlint.rules.meta.ckpt002_unknown_rule_in_suppression import UnknownRuleInSuppression
from ckptlint.rules.distributed.ckpt301_all_ranks_save import AllRanksSave
from ckptlint.rules.distributed.ckpt302_missing_barrier import MissingBarrier
from ckptlint.rules.distributed.ckpt303_sampler_epoch_not_set import SamplerEpochNotSet
from ckptlint.rules.distributed.ckpt304_load_on_one_rank_only import LoadOnOneRankOnly
from ckptlint.rules.distributed.ckpt305_fsdp_state_dict_without_policy import FsdpStateDictWithoutPolicy
from ckptlint.rules.loading.ckpt201_load_without_map_location import LoadWithoutMapLocation
from ckptlint.rules.loading.ckpt202_load_without_weights_only import LoadWithoutWeightsOnly
from ckptlint.rules.loading.ckpt203_resume_off_by_one import ResumeOffByOne
from ckptlint.rules.loading.ckpt204_strict_false_unchecked import StrictFalseUnchecked
from ckptlint.rules.loading.ckpt205_saved_but_not_restored import SavedButNotRestored
from ckptlint.rules.saving.ckpt101_save_whole_model import SaveWholeModel
from ckptlint.rules.saving.ckpt102_missing_optimizer_state import MissingOptimizerState
from ckptlint.rules.saving.ckpt103_missing_scheduler_state import MissingSchedulerState
from ckptlint.rules.saving.ckpt104_missing_rng_state import MissingRngState
from ckptlint.rules.saving.ckpt105_missing_scaler_state import MissingScalerState
from ckptlint.rules.saving.ckpt106_missing_progress_counter import MissingProgressCounter
from ckptlint.rules.saving.ckpt107_ddp_prefixed_state_dict import DdpPrefixedStateDict
from ckptlint.rules.saving.ckpt108_cuda_rng_current_device_only import CudaRngCurrentDeviceOnly
from ckptlint.rules.saving.ckpt109_non_atomic_save import NonAtomicSave
from ckptlint.rules.reproducibility.ckpt401_unseeded_dataloader_workers import UnseededDataloaderWorkers
from ckptlint.rules.reproducibility.ckpt402_partial_seeding import PartialSeeding
from ckptlint.rules.reproducibility.ckpt403_nondeterministic_cudnn import NondeterministicCudnn
from ckptlint.rules.reproducibility.ckpt404_determinism_not_requested import DeterminismNotRequested
from ckptlint.rules.paths.ckpt501_relative_save_path import RelativeSavePath
from ckptlint.rules.paths.ckpt502_save_dir_not_created import SaveDirNotCreated
from ckptlint.rules.paths.ckpt503_machine_specific_path import MachineSpecificPath
from ckptlint.rules.paths.ckpt504_unbounded_checkpoints import UnboundedCheckpoints
from ckptlint.rules.paths.ckpt505_save_every_step import SaveEveryStep

RULES: Tuple[Type[Rule], ...] = (
    UnusedSuppression,
    UnknownRuleInSuppression,
    SaveWholeModel,
    MissingOptimizerState,
    MissingSchedulerState,
    MissingRngState,
    MissingScalerState,
    MissingProgressCounter,
    DdpPrefixedStateDict,
    CudaRngCurrentDeviceOnly,
    NonAtomicSave,
    LoadWithoutMapLocation,
    LoadWithoutWeightsOnly,
    ResumeOffByOne,
    StrictFalseUnchecked,
    SavedButNotRestored,
    AllRanksSave,
    MissingBarrier,
    SamplerEpochNotSet,
    LoadOnOneRankOnly,
    FsdpStateDictWithoutPolicy,
    UnseededDataloaderWorkers,
    PartialSeeding,
    NondeterministicCudnn,
    DeterminismNotRequested,
    RelativeSavePath,
    SaveDirNotCreated,
    MachineSpecificPath,
    UnboundedCheckpoints,
    SaveEveryStep,
)

BY_CODE: Dict[str, Type[Rule]] = {rule.code: rule for rule in RULES}
BY_NAME: Dict[str, Type[Rule]] = {rule.name: rule for rule in RULES}


def lookup(code_or_name: str) -> Optional[Type[Rule]]:
    """The rule with this code (any case) or kebab-case name."""
    return BY_CODE.get(code_or_name.upper()) or BY_NAME.get(code_or_name.lower())
