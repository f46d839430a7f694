"""Data: the parameters of the calls rules inspect, for argument binding.

Kept as data (TorchFix's idea) so that binding `torch.load(f, "cpu")` to
`map_location` needs no rule code. Signatures are those of torch >= 2.0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Tuple


@dataclass(frozen=True)
class Signature:
    positional: Tuple[str, ...]  # positional-or-keyword, in order
    keyword_only: Tuple[str, ...] = ()
    var_keyword: bool = False

    def accepts(self, name: str) -> bool:
        return name in self.positional or name in self.keyword_only


SIGNATURES: Dict[str, Signature] = {
    "torch.load": Signature(
        positional=("f", "map_location", "pickle_module"),
        keyword_only=("weights_only", "mmap"),
        var_keyword=True,
    ),
    "torch.save": Signature(
        positional=(
            "obj",
            "f",
            "pickle_module",
            "pickle_protocol",
            "_use_new_zipfile_serialization",
            "_disable_byteorder_record",
        ),
    ),
    # The runtime companion's atomic write: a save like `torch.save` (the saving rules check what it writes).
    "ckptlint.runtime.atomic_save": Signature(positional=("obj", "path"), var_keyword=True),
    "ckptlint.runtime.atomic.atomic_save": Signature(positional=("obj", "path"), var_keyword=True),
    # Accelerate's and Fabric's saves (what they write is checked like `torch.save`'s).
    "accelerate.Accelerator.save": Signature(positional=("obj", "f", "safe_serialization")),
    "lightning.fabric.Fabric.save": Signature(positional=("path", "state", "filter")),
    "lightning.fabric.Fabric.load": Signature(positional=("path", "state", "strict")),
    # DataLoader (CKPT401): which argument is `shuffle`, `num_workers`, `generator`, given by position too.
    "torch.utils.data.DataLoader": Signature(
        positional=(
            "dataset", "batch_size", "shuffle", "sampler", "batch_sampler", "num_workers", "collate_fn",
            "pin_memory", "drop_last", "timeout", "worker_init_fn", "multiprocessing_context", "generator",
        ),
        keyword_only=("prefetch_factor", "persistent_workers", "pin_memory_device", "in_order"),
    ),
    "torch.utils.data.RandomSampler": Signature(positional=("data_source", "replacement", "num_samples", "generator")),
}
SIGNATURES["torch.utils.data.dataloader.DataLoader"] = SIGNATURES["torch.utils.data.DataLoader"]
SIGNATURES["torch.utils.data.sampler.RandomSampler"] = SIGNATURES["torch.utils.data.RandomSampler"]
