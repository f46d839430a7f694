"""Data: which torch (and well-known third-party) names build which kind of object.

Kept as data so that recognising `timm.create_model(...)` as a model or
`bitsandbytes.optim.AdamW8bit` as an optimizer needs no rule code. Names are
canonical qualified names, as `SemanticModel.qualname` returns them.
Project settings (`model-classes`, `optimizer-classes`) extend these lists.
"""

from __future__ import annotations

import re
from typing import FrozenSet, Mapping, Tuple

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
        "timm.optim.create_optimizer_v2",
        "timm.optim.create_optimizer",
        "timm.optim.optim_factory.create_optimizer_v2",
        "timm.optim.optim_factory.create_optimizer",
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

# Methods of the frameworks and of torch whose parameters take objects of one kind, by the
# method's own signature (catalog "Kinds", used: like the first argument of DDP, what is passed
# there has that kind): the kind of each positional argument in order, the last one repeated for
# the rest (`fabric.setup(model, *optimizers)`). Kinds are `Kind` values (`semantic/facts/kinds.py`).
TYPED_ARGUMENTS: Mapping[str, Tuple[str, ...]] = {
    "lightning.fabric.Fabric.setup": ("model", "optimizer"),
    "lightning.fabric.Fabric.setup_module": ("model",),
    "lightning.fabric.Fabric.setup_optimizers": ("optimizer",),
    "accelerate.Accelerator.prepare_model": ("model",),
    "accelerate.Accelerator.prepare_optimizer": ("optimizer",),
    "accelerate.Accelerator.prepare_scheduler": ("scheduler",),
    # `scaler.step(optimizer)`, `scaler.unscale_(optimizer)`
    **{f"{scaler}.{method}": ("optimizer",) for scaler in SCALER_CLASSES for method in ("step", "unscale_")},
}
TYPED_ARGUMENT_METHODS: FrozenSet[str] = frozenset(name.rsplit(".", 1)[1] for name in TYPED_ARGUMENTS)

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

# -- reproducibility (CKPT4xx) -------------------------------------------------

# "A file that seeds" (the catalog's clarification): each seeding call, and the
# RNGs it seeds ("torch", "random", "numpy"). `seed_everything` / `set_seed` seed all.
ALL_RNGS: FrozenSet[str] = frozenset({"torch", "random", "numpy"})
SEEDING_CALLS: Mapping[str, FrozenSet[str]] = {
    "torch.manual_seed": frozenset({"torch"}),
    "torch.random.manual_seed": frozenset({"torch"}),
    "torch.cuda.manual_seed": frozenset({"torch"}),
    "torch.cuda.manual_seed_all": frozenset({"torch"}),
    "torch.cuda.random.manual_seed": frozenset({"torch"}),
    "torch.cuda.random.manual_seed_all": frozenset({"torch"}),
    "random.seed": frozenset({"random"}),
    "numpy.random.seed": frozenset({"numpy"}),
    "ckptlint.runtime.seed_everything": ALL_RNGS,
    "ckptlint.runtime.seeding.seed_everything": ALL_RNGS,
    "lightning.seed_everything": ALL_RNGS,
    "lightning.pytorch.seed_everything": ALL_RNGS,
    "lightning.fabric.seed_everything": ALL_RNGS,
    "lightning_fabric.seed_everything": ALL_RNGS,
    "lightning.fabric.utilities.seed.seed_everything": ALL_RNGS,
    "lightning.pytorch.utilities.seed.seed_everything": ALL_RNGS,
    "pytorch_lightning.seed_everything": ALL_RNGS,
    "pytorch_lightning.utilities.seed.seed_everything": ALL_RNGS,
    "transformers.set_seed": ALL_RNGS,
    "transformers.trainer_utils.set_seed": ALL_RNGS,
    "accelerate.utils.set_seed": ALL_RNGS,
    "accelerate.utils.random.set_seed": ALL_RNGS,
    "lightning.fabric.Fabric.seed_everything": ALL_RNGS,
}
TORCH_MANUAL_SEED: FrozenSet[str] = frozenset({"torch.manual_seed", "torch.random.manual_seed"})
RUNTIME_SEED_EVERYTHING: FrozenSet[str] = frozenset(
    {"ckptlint.runtime.seed_everything", "ckptlint.runtime.seeding.seed_everything"}
)
# A function with one of these parameters is a DataLoader `worker_init_fn` (its seeding re-seeds workers).
WORKER_INIT_PARAMETERS: FrozenSet[str] = frozenset({"worker_id"})
# The keyword that names the seed, per seeding call (else the first positional argument).
SEED_KEYWORDS = ("seed", "a")

# Module-level functions of `random` that draw from its global RNG (CKPT402).
RANDOM_GLOBAL_FUNCTIONS: FrozenSet[str] = frozenset(
    {
        "random", "uniform", "triangular", "randint", "choice", "randrange", "sample", "shuffle",
        "choices", "normalvariate", "lognormvariate", "expovariate", "vonmisesvariate",
        "gammavariate", "gauss", "betavariate", "paretovariate", "weibullvariate",
        "getrandbits", "randbytes", "binomialvariate",
    }
)
# `numpy.random.*` names that are not global draws: generators, state, seeding.
NUMPY_RANDOM_NOT_GLOBAL: FrozenSet[str] = frozenset(
    {
        "default_rng", "RandomState", "Generator", "SeedSequence", "BitGenerator", "MT19937",
        "PCG64", "PCG64DXSM", "Philox", "SFC64", "seed", "get_state", "set_state",
    }
)

CUDNN_BENCHMARK = "torch.backends.cudnn.benchmark"
CUDNN_DETERMINISTIC = "torch.backends.cudnn.deterministic"
DETERMINISTIC_ALGORITHMS: FrozenSet[str] = frozenset({"torch.use_deterministic_algorithms"})

RANDOM_SAMPLERS: FrozenSet[str] = frozenset(
    {"torch.utils.data.RandomSampler", "torch.utils.data.sampler.RandomSampler"}
)

# -- paths and storage (CKPT5xx) ------------------------------------------------

# Calls that build a path from parts: the first argument is the first part.
# Calls that end the process: no statement after them runs.
PROCESS_EXITS: FrozenSet[str] = frozenset({"sys.exit", "exit", "quit", "builtins.exit", "builtins.quit", "os._exit"})
PATH_JOINS: FrozenSet[str] = frozenset({"os.path.join", "posixpath.join", "ntpath.join"})
PATH_CLASSES: FrozenSet[str] = frozenset(
    {"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.PurePosixPath", "pathlib.WindowsPath"}
)
# Calls that return their first argument's path unchanged in where it points.
PATH_PASSTHROUGH: FrozenSet[str] = frozenset({"builtins.str", "os.fspath", "os.path.abspath", "os.path.normpath"})
EXPANDUSER: FrozenSet[str] = frozenset({"os.path.expanduser"})
# Home or user folders (CKPT503); matched case-insensitively for Windows drives.
HOME_PREFIXES = ("/home/", "/Users/")
# `~`, `~/...`, `~user/...` (not a file named `~model.pt`, which is not expanded to a home).
TILDE_HOME = re.compile(r"^~([\w.-]*[\\/]|$)")
WINDOWS_HOME = re.compile(r"^[A-Za-z]:[\\/]+Users[\\/]", re.IGNORECASE)
# Directory creation anywhere in the module silences CKPT502 (by the last part of the callee).
DIRECTORY_CREATORS = re.compile(r"(^|_)(mkdir|makedirs|mkdirs|mkdir_or_exist|mkpath|ensure_dir|ensure_directory|create_dir|create_directory|make_dir|make_dirs|mkdir_p)$", re.IGNORECASE)
# Classes whose constructor creates the directory it is given (TensorBoard's writers make their
# log directory, which runs keep their checkpoints beside): like a `makedirs`, they silence CKPT502.
DIRECTORY_CREATING_CLASSES: FrozenSet[str] = frozenset(
    {"torch.utils.tensorboard.SummaryWriter", "torch.utils.tensorboard.writer.SummaryWriter", "tensorboardX.SummaryWriter"}
)
# Deleting old checkpoints anywhere in the module silences CKPT504.
DELETIONS: FrozenSet[str] = frozenset(
    {"os.remove", "os.unlink", "os.rmdir", "shutil.rmtree", "pathlib.Path.unlink", "ckptlint.runtime.CheckpointManager"}
)
DELETION_METHODS: FrozenSet[str] = frozenset({"unlink", "rmtree"})
# A keep-last helper or setting: a callee or keyword whose name says it bounds the checkpoints.
KEEP_LAST = re.compile(r"keep_last|keep_latest|max_to_keep|max_keep|save_total_limit|remove_old|delete_old|cleanup|clean_up|prune|rotate", re.IGNORECASE)

# -- Rank guards and barriers (CKPT301-304; see semantic/guards.py) -----------
# Calls whose result is this process's rank (also any call named `get_rank`/... below).
RANK_CALLS: FrozenSet[str] = frozenset(
    {
        "torch.distributed.get_rank",
        "torch.distributed.distributed_c10d.get_rank",
        "torch.distributed.get_node_local_rank",
        "torch_xla.core.xla_model.get_ordinal",
    }
)
RANK_FUNCTION_NAMES: FrozenSet[str] = frozenset(
    {"get_rank", "get_global_rank", "get_local_rank", "get_node_local_rank", "get_ordinal", "get_process_index"}
)
# A name or attribute is a rank when its last part matches (`rank`, `args.local_rank`, `ddp_rank`, `RANK`).
RANK_NAME = re.compile(r"(^|_)rank$|^(local_|global_)?process_index$", re.IGNORECASE)
# Main-process predicates: names, attributes and calls that are true on rank 0 only.
MAIN_PROCESS_NAMES: FrozenSet[str] = frozenset(
    {
        "is_main_process",
        "is_local_main_process",
        "is_master",
        "is_main",
        "master_process",
        "main_process",
        "is_global_zero",
        "is_rank_zero",
        "is_rank_0",
        "is_world_process_zero",
        "is_local_process_zero",
        "is_local_master",
        "is_master_process",
    }
)
# Decorators that run a function on rank 0 only (Lightning, Accelerate, mmengine).
RANK_ZERO_DECORATORS: FrozenSet[str] = frozenset({"rank_zero_only", "main_process_only", "on_main_process", "master_only"})
# The other side of `not distributed or rank == 0`: words of a test that is true only without a process group.
NOT_DISTRIBUTED_WORDS = re.compile(r"distributed|ddp|is_initialized|is_available|multiprocessing", re.IGNORECASE)
WORLD_SIZE_NAME = re.compile(r"world_size|num_processes|num_replicas", re.IGNORECASE)

# Collectives: each one synchronises the ranks, so each counts as a barrier (CKPT302).
COLLECTIVES: FrozenSet[str] = frozenset(
    {
        f"torch.distributed.{name}"
        for name in (
            "barrier",
            "monitored_barrier",
            "all_reduce",
            "all_gather",
            "all_gather_object",
            "all_gather_into_tensor",
            "broadcast",
            "broadcast_object_list",
            "reduce",
            "reduce_scatter",
            "reduce_scatter_tensor",
            "gather",
            "gather_object",
            "scatter",
            "scatter_object_list",
            "all_to_all",
            "all_to_all_single",
        )
    }
    | {"ckptlint.runtime.barrier", "ckptlint.runtime.distributed.barrier", "torch_xla.core.xla_model.rendezvous"}
)
# Method or helper names that are collectives whatever they are called on
# (`accelerator.wait_for_everyone()`, `fabric.barrier()`, a project's `synchronize()`).
COLLECTIVE_NAMES = re.compile(
    r"^(barrier|wait_for_everyone|all_reduce\w*|all_gather\w*|broadcast\w*|reduce_dict|reduce_tensor|"
    r"reduce_mean|synchronize|rendezvous|sync_processes)$"
)
# Never collectives, though their names match.
NOT_COLLECTIVES: FrozenSet[str] = frozenset({"torch.cuda.synchronize", "torch.cuda.Stream.synchronize", "torch.mps.synchronize"})

# -- Resume loads (CKPT203-205, CKPT304; see semantic/resume.py) ----------------
EPOCH_KEY = re.compile(r"epoch", re.IGNORECASE)
# Flags that guard a resume (`if args.resume:`); catalog: `pretrained`, `finetune`... are not.
RESUME_FLAG = re.compile(r"resum", re.IGNORECASE)


# The FSDP (v1) wrapper class under its public and module paths.
FSDP_CLASSES = (
    "torch.distributed.fsdp.FullyShardedDataParallel",
    "torch.distributed.fsdp.fully_sharded_data_parallel.FullyShardedDataParallel",
)

# Methods of well-known classes that the catalog names by class (`accelerate.Accelerator.save`):
# the call index names `x.save(...)` so when `x` is an instance of such a class.
ACCELERATOR_SAVE = "accelerate.Accelerator.save"
FABRIC_SAVE = "lightning.fabric.Fabric.save"
FABRIC_LOAD = "lightning.fabric.Fabric.load"
INSTANCE_METHOD_NAMES: FrozenSet[str] = frozenset({"save", "load", "seed_everything", "wait_for_everyone", "barrier"})
