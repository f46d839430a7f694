"""Word groups for the rules' `requires` (see `engine/prefilter.py`), shared so
that every rule about the same call asks for the same words.

A word is a whole identifier; a `*` at an end lets the identifier continue
there. Keep a group wide enough for every spelling the semantic model accepts:
a group that is too narrow silently loses findings.
"""

TORCH = ("torch",)
# `ckptlint.runtime.atomic_save` counts as a save (what it writes is checked like `torch.save`'s).
SAVES = ("save", "atomic_save")
TORCH_SAVE = ("save",)
LOADS = ("load",)
STATE_DICT = ("state_dict",)
# Anything that makes a script distributed: a process group, a DDP/FSDP wrap, a
# distributed sampler, or a rank read from the environment (`LOCAL_RANK`).
DISTRIBUTED = ("init_process_group", "Distributed*", "FullyShard*", "fully_shard", "*RANK*")
# "A file that seeds" calls one of `catalog.SEEDING_CALLS` (by these last names), or
# a same-file helper that does (whose body then holds the name).
SEEDS = ("manual_seed", "manual_seed_all", "seed", "seed_everything", "set_seed")
# Epoch counters and keys are recognised by name, in any case (`start_epoch`, `ckpt["Epoch"]`).
EPOCHS = ("(?i)*epoch*",)
# Suppression comments: `# noqa: CKPT101` (codes are upper case there) and
# `# ckptlint: disable=...` (read in any case). Not `ckpt` alone: half of all
# checkpointing code has a variable called `ckpt`.
SUPPRESSIONS = ("*CKPT*", "(?i)*ckptlint*")

# Words no other module can stand in for. A fact from another module of the project comes
# through its summary (`semantic/core/summary.py`), which says nothing of loads,
# `load_state_dict(..., strict=...)`, RNG-state reads, cudnn's `benchmark` flag or suppression
# comments: a rule that needs one of these words needs it in the file itself, whatever the
# file imports (the pre-filter then never looks for it in other modules' code).
LOCAL_ONLY = frozenset(LOADS + ("load_state_dict", "strict", "get_rng_state", "benchmark") + SUPPRESSIONS)
