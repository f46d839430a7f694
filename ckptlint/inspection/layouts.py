"""What checkpoints look like: the key names and value shapes `inspect` recognises.

Everything `ckptlint inspect` knows about popular checkpoint layouts lives
here as data, so that adding a layout (a new trainer's key names) never means
touching the classifier. The shapes come from the objects' own
``state_dict()`` (an optimizer's is ``{"state", "param_groups"}``), the names
from widely copied scripts: PyTorch's ImageNet example (``state_dict``,
``optimizer``, ``scheduler``, ``epoch``), nanoGPT (``model``, ``optimizer``,
``iter_num``), Lightning (``state_dict``, ``optimizer_states``,
``lr_schedulers``, ``global_step``) and the ckptlint runtime's own format.
ckptlint's own formats (format versions, pointer and sharded-save keys,
wrapper prefixes) are defined once, in :mod:`ckptlint.runtime.format`, which
the writer imports too.
"""

from __future__ import annotations

from ckptlint.runtime.format import MIGRATION_KEY

# Entries of ckptlint's own checkpoints that need no row of their own: the mid-epoch flag
# (progress shows the counters) and the per-tensor checksums (ckptlint.runtime.integrity).
CKPTLINT_BOOKKEEPING_KEYS = frozenset({"epoch_complete", "checksums"})

# -- model weights --------------------------------------------------------------
# Top-level keys that name *the* model when several state dicts sit side by side
# (an EMA copy or a discriminator is reported too, just not as the model).
MODEL_KEYS = ("model", "state_dict", "model_state_dict", "model_state", "net", "network",
              "module", "weights", "params")
# Non-tensor entries a module's state_dict() may hold (set_extra_state).
EXTRA_STATE_SUFFIX = "_extra_state"

# -- training state, recognised by shape -----------------------------------------
OPTIMIZER_KEYS = frozenset({"state", "param_groups"})          # Optimizer.state_dict()
SCHEDULER_KEYS = frozenset({"last_epoch"})                     # every LRScheduler
SCHEDULER_HINT_KEYS = frozenset({"_step_count", "base_lrs", "_last_lr"})
SCALER_KEYS = frozenset({"scale", "growth_factor"})            # GradScaler.state_dict()

# -- RNG ------------------------------------------------------------------------
# A top-level key holds RNG state when one of its words (split on "_", ".", "-")
# starts with one of these: "rng_state", "cuda_rng", "random_states", "generators".
RNG_KEY_MARKERS = ("rng", "random", "generator")
# Which generator a key stands for when the value's shape does not say: its words,
# in priority order ("torch_random_state" is torch's, "numpy_rng" numpy's).
RNG_SOURCE_WORDS = (
    ("cuda", "cuda"), ("gpu", "cuda"),
    ("numpy", "numpy"), ("np", "numpy"),
    ("torch", "torch"), ("cpu", "torch"),
    ("python", "python"), ("py", "python"), ("random", "python"),
    ("generators", "generators"),
)

# -- progress and versions ---------------------------------------------------------
# CKPT106's definition: a key containing one of these words counts as a counter.
COUNTER_WORDS = ("epoch", "step", "iter")
TORCH_VERSION_KEYS = ("torch_version", "pytorch_version", "torch")
# Entries whose versions are read (ckptlint migrate records the torch version it wrote with).
META_KEYS = ("meta", "metadata", "info", MIGRATION_KEY)
VERSION_SUFFIX = "version"

# -- globals that block weights_only=True ------------------------------------------
# A global under one of these prefixes is an nn.Module class: the file is a pickled
# model (CKPT101 save-whole-model), not a state dict.
MODULE_GLOBAL_PREFIXES = ("torch.nn.modules.", "torch.nn.parallel.", "torch._dynamo.eval_frame.")
# What to store instead of a value whose class weights_only refuses.
UNSAFE_GLOBAL_ADVICE = {
    "argparse.Namespace": "store vars(args), a plain dict",
    "numpy._core.multiarray.scalar": "store float(x) / int(x) (or x.item()), not a numpy scalar",
    "numpy.core.multiarray.scalar": "store float(x) / int(x) (or x.item()), not a numpy scalar",
    "numpy._core.multiarray._reconstruct": "store tensors, not numpy arrays (numpy RNG: "
                                           "ckptlint.runtime.capture_rng_state())",
    "numpy.core.multiarray._reconstruct": "store tensors, not numpy arrays (numpy RNG: "
                                          "ckptlint.runtime.capture_rng_state())",
    "torch.torch_version.TorchVersion": "store str(torch.__version__)",
    "torch._C.Generator": "store generator.get_state(), not the generator",
    "pathlib.PosixPath": "store str(path)",
    "pathlib.WindowsPath": "store str(path)",
}

# -- torch.distributed.checkpoint folders ---------------------------------------------
DCP_SHARD_SUFFIX = ".distcp"
# `.metadata` is a plain pickle (FileSystemReader.read_metadata calls pickle.load);
# inspect unpickles it with only these globals allowed, so a crafted file cannot run code.
DCP_METADATA_GLOBALS = frozenset({
    ("torch.distributed.checkpoint.metadata", name) for name in (
        "Metadata", "MetadataIndex", "StorageMeta", "TensorProperties", "TensorStorageMetadata",
        "BytesStorageMetadata", "ChunkStorageMetadata", "_MEM_FORMAT_ENCODING")
} | {
    ("torch.distributed.checkpoint.filesystem", "_StorageInfo"),
    ("torch.serialization", "_get_layout"),
    ("torch", "Size"),
    ("collections", "OrderedDict"),
    ("pathlib", "PosixPath"), ("pathlib", "WindowsPath"),
    ("pathlib", "PurePosixPath"), ("pathlib", "PureWindowsPath"),
})
# A per-rank key names its rank: "rng.rank0", "rng_rank_1", torchtitan's "dp_rank_0".
RANK_KEY_PATTERN = r"rank[_.-]?\d+"
# Shard files are named __{rank}_{index}.distcp by FileSystemWriter.
DCP_SHARD_RANK_PATTERN = r"^__(\d+)_\d+\.distcp$"

# -- files a directory argument is expanded to --------------------------------------------
CHECKPOINT_SUFFIXES = (".pt", ".pth", ".ckpt", ".tar", ".bin")
