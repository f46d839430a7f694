"""Data: which torch (and well-known third-party) names build which kind of object.

Kept as data so that recognising `timm.create_model(...)` as a model or
`bitsandbytes.optim.AdamW8bit` as an optimizer needs no rule code. Names are
canonical qualified names, as `SemanticModel.qualname` returns them.
Project settings (`model-classes`, `optimizer-classes`) extend these lists.
"""

from __future__ import annotations

import re
from typing import FrozenSet, Mapping

# Base classes whose subclasses' instances are models.
MODULE_CLASSES: FrozenSet[str] = frozenset(
    {
        "torch.nn.Module",
        "torch.nn.modules.module.Module",
        "pytorch_lightning.LightningModule",
        "lightning.LightningModule",
        "lightning.pytorch.LightningModule",
        "transformers.PreTrainedModel",
    }
)

# Calls that return a wrapped model, and what the wrap does to state_dict keys.
WRAPS: Mapping[str, str] = {
    "torch.nn.parallel.DistributedDataParallel": "ddp",
    "torch.nn.parallel.distributed.DistributedDataParallel": "ddp",
    "torch.nn.DataParallel": "dp",
    "torch.nn.parallel.DataParallel": "dp",
    "torch.nn.parallel.data_parallel.DataParallel": "dp",
    "torch.distributed.fsdp.FullyShardedDataParallel": "fsdp",
    "torch.distributed.fsdp.fully_sharded_data_parallel.FullyShardedDataParallel": "fsdp",
    "torch.compile": "compile",
}

# The attribute that holds the unwrapped model, per wrap.
UNWRAP_ATTRIBUTE: Mapping[str, str] = {"ddp": "module", "dp": "module", "fsdp": "module", "compile": "_orig_mod"}

# Factories that return a model (exact names), and module prefixes whose calls do.
MODEL_FACTORIES: FrozenSet[str] = frozenset(
    {
        "timm.create_model",
        "timm.models.create_model",
        "torchvision.models.get_model",
        "torch.hub.load",
    }
)
MODEL_FACTORY_PREFIXES = ("torchvision.models.",)
NOT_MODEL_FACTORIES = re.compile(r".*(Weights|get_weight|get_model_weights|list_models)$")

# Methods that return the object they are called on (for models: `.to()`, `.cuda()`...).
SAME_OBJECT_METHODS: FrozenSet[str] = frozenset(
    {"to", "cuda", "cpu", "half", "float", "double", "bfloat16", "train", "eval", "requires_grad_", "to_empty"}
)

KNOWN_OPTIMIZERS: FrozenSet[str] = frozenset(
    {
        "transformers.AdamW",
        "transformers.Adafactor",
        "transformers.optimization.AdamW",
        "transformers.optimization.Adafactor",
        "apex.optimizers.FusedAdam",
        "apex.optimizers.FusedLAMB",
        "apex.optimizers.FusedSGD",
        "deepspeed.ops.adam.FusedAdam",
        "deepspeed.ops.adam.DeepSpeedCPUAdam",
        "timm.optim.create_optimizer_v2",
        "timm.optim.create_optimizer",
        "lion_pytorch.Lion",
        "torch.distributed.optim.ZeroRedundancyOptimizer",
    }
)
OPTIMIZER_PREFIXES = ("bitsandbytes.optim.", "torch_optimizer.", "timm.optim.")

SCHEDULER_CLASSES: FrozenSet[str] = frozenset({"torch.optim.swa_utils.SWALR", "transformers.get_scheduler"})
SCHEDULER_PREFIXES = ("torch.optim.lr_scheduler.",)
# `get_cosine_schedule_with_warmup` (transformers), and a file's own factory of that shape.
SCHEDULE_FACTORY = re.compile(r"get_\w*schedule\w*")

SCALER_CLASSES: FrozenSet[str] = frozenset(
    {
        "torch.cuda.amp.GradScaler",
        "torch.cuda.amp.grad_scaler.GradScaler",
        "torch.amp.GradScaler",
        "torch.amp.grad_scaler.GradScaler",
        "torch.GradScaler",
        "torch.cpu.amp.GradScaler",
    }
)

SAMPLER_CLASSES: FrozenSet[str] = frozenset(
    {
        "torch.utils.data.DistributedSampler",
        "torch.utils.data.distributed.DistributedSampler",
        "torch.utils.data.RandomSampler",
        "torch.utils.data.sampler.RandomSampler",
        "torch.utils.data.SequentialSampler",
        "torch.utils.data.sampler.SequentialSampler",
    }
)
DISTRIBUTED_SAMPLERS: FrozenSet[str] = frozenset(
    {"torch.utils.data.DistributedSampler", "torch.utils.data.distributed.DistributedSampler"}
)
DATALOADER_CLASSES: FrozenSet[str] = frozenset(
    {"torch.utils.data.DataLoader", "torch.utils.data.dataloader.DataLoader"}
)

# Calls whose result is RNG state (CKPT104 counts any of them).
RNG_STATE_CALLS: FrozenSet[str] = frozenset(
    {
        "torch.get_rng_state",
        "torch.random.get_rng_state",
        "torch.cuda.get_rng_state",
        "torch.cuda.get_rng_state_all",
        "torch.cuda.random.get_rng_state",
        "torch.cuda.random.get_rng_state_all",
        "numpy.random.get_state",
        "random.getstate",
        "ckptlint.runtime.capture_rng_state",
        "ckptlint.runtime.rng.capture_rng_state",
    }
)
CUDA_RNG_CURRENT_DEVICE = frozenset({"torch.cuda.get_rng_state", "torch.cuda.random.get_rng_state"})
CUDA_RNG_SET_CURRENT_DEVICE = frozenset({"torch.cuda.set_rng_state", "torch.cuda.random.set_rng_state"})

# "Distributed script" (the catalog's definition).
PROCESS_GROUP_STARTS: FrozenSet[str] = frozenset(
    {"torch.distributed.init_process_group", "torch.distributed.distributed_c10d.init_process_group"}
)
FULLY_SHARD: FrozenSet[str] = frozenset(
    {
        "torch.distributed.fsdp.fully_shard",
        "torch.distributed._composable.fsdp.fully_shard",
        "torch.distributed._composable.fsdp.fully_shard.fully_shard",
    }
)
RANK_VARIABLES: FrozenSet[str] = frozenset({"LOCAL_RANK", "RANK"})
ENVIRON_READERS: FrozenSet[str] = frozenset({"os.environ.get", "os.getenv", "os.environ.__getitem__"})

# What the saving rules call things in a checkpoint dict.
PREFERRED_KEYS: Mapping[str, str] = {
    "optimizer": "optimizer",
    "scheduler": "scheduler",
    "scaler": "scaler",
    "rng": "rng",
}
PROGRESS_KEY = re.compile(r"epoch|step|iter", re.IGNORECASE)
