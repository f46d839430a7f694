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
