"""Across modules: a linted file sees what its project's other modules do (catalog, "The program").

Each case is a small project (module path -> source) written to a temporary
folder; the file under test is linted as the CLI lints it, with the project's
settings, and must report exactly the findings listed.
"""

from __future__ import annotations

import os
import textwrap
from typing import Callable, Dict, List, Tuple

import pytest

from ckptlint.api import process_file
from ckptlint.config.loader import build_settings
from ckptlint.semantic.program.index import ProjectIndex


def lint_project(tmp_path, modules: Dict[str, str], target: str, select: Tuple[str, ...] = ("ALL",)) -> List[Tuple[int, str]]:  # type: ignore[no-untyped-def]
    for name, source in modules.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).lstrip("\n"))
    settings = build_settings({"select": list(select)}, root=str(tmp_path))
    report = process_file(os.path.join(str(tmp_path), target), settings)  # as the CLI does: with the project
    assert not report.errors, report.errors
    return [(d.span.line, d.code) for d in report.diagnostics]


def indexed(tmp_path, modules: Dict[str, str]) -> Tuple[ProjectIndex, object]:  # type: ignore[no-untyped-def]
    """``modules`` written as they are, an index of them without a disk cache, and `train.py`'s view."""
    for name, source in modules.items():
        (tmp_path / name).write_text(source)
    index = ProjectIndex(build_settings({}, root=str(tmp_path)).project, None)
    return index, index.view(str(tmp_path / "train.py"))


TRAIN_SAVES_THROUGH_UTILS = """
    import torch
    import torch.distributed as dist
    import utils
    from model import Net

    def main(args):
        utils.init_distributed_mode(args)
        model = Net()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        for epoch in range(args.epochs):
            train_one_epoch(model, optimizer)
            utils.save_on_master({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch}, args.out)
            torch.save(model, "last_model.pt")
"""
UTILS = """
    import torch
    import torch.distributed as dist

    def is_main_process():
        return not dist.is_initialized() or dist.get_rank() == 0

    def save_on_master(*args, **kwargs):
        if is_main_process():
            torch.save(*args, **kwargs)

    def init_distributed_mode(args):
        dist.init_process_group("nccl")
"""
MODEL = """
    import torch.nn as nn

    class Net(nn.Module):
        def forward(self, x):
            return x
"""


def test_helpers_and_classes_in_sibling_modules(tmp_path) -> None:
    found = lint_project(tmp_path, {"train.py": TRAIN_SAVES_THROUGH_UTILS, "utils.py": UTILS, "model.py": MODEL}, "train.py")
    # save_on_master is a rank-guarded save (no 301) of a training checkpoint without RNG (104); the
    # file is distributed through utils.init_distributed_mode, so the unguarded torch.save is 301; Net is a model (101).
    assert (12, "CKPT104") in found
    assert (12, "CKPT301") not in found
    assert (13, "CKPT101") in found and (13, "CKPT301") in found


def test_an_unresolvable_import_stays_unknown(tmp_path) -> None:
    found = lint_project(tmp_path, {"train.py": TRAIN_SAVES_THROUGH_UTILS}, "train.py")
    # Without utils.py: save_on_master is no save, the file is not distributed. The model is still
    # one by use (its parameters feed SGD), so the whole-model save is still 101.
    assert (13, "CKPT101") in found
    assert not [f for f in found if f[0] == 12 or f[1] == "CKPT301"]


def test_package_with_relative_imports_and_an_init_reexport(tmp_path) -> None:
    modules = {
        "pkg/__init__.py": "from .misc import save_on_master, set_seed\n",
        "pkg/misc.py": textwrap.dedent(UTILS) + "\n\ndef set_seed(seed):\n    import random\n    random.seed(seed)\n    torch.manual_seed(seed)\n",
        "pkg/train.py": """
            import torch
            from . import save_on_master, set_seed
            from .misc import is_main_process

            def main(model, optimizer, loader):
                set_seed(0)
                for epoch in range(3):
                    for x in loader:
                        optimizer.zero_grad(); model(x).sum().backward(); optimizer.step()
                    if is_main_process():
                        torch.save({"model": model.state_dict()}, "ckpt/model.pt")
            """,
    }
    found = lint_project(tmp_path, modules, "pkg/train.py", select=("ALL",))
    assert (6, "CKPT404") in found  # seeded through the package's set_seed, trains, no determinism
    assert all(code != "CKPT301" for _, code in found)


def test_a_model_class_from_a_sibling_module_and_a_seeding_helper(tmp_path) -> None:
    modules = {
        "common.py": "import random\nimport numpy as np\nimport torch\n\ndef set_seed(seed):\n    random.seed(seed)\n    np.random.seed(seed)\n    torch.manual_seed(seed)\n",
        "models.py": MODEL,
        "train.py": """
            import torch
            from torch.utils.data import DataLoader
            from common import set_seed
            from models import Net

            set_seed(1)
            net = Net()
            loader = DataLoader(dataset, shuffle=True)
            torch.save(net, "net.pt")
            """,
    }
    found = lint_project(tmp_path, modules, "train.py")
    assert (8, "CKPT401") in found  # the file seeds (through common.set_seed)
    assert (9, "CKPT101") in found  # Net is an nn.Module subclass in models.py


def test_editing_a_helper_changes_what_its_importer_sees(tmp_path) -> None:
    modules = {"train.py": TRAIN_SAVES_THROUGH_UTILS, "utils.py": UTILS, "model.py": MODEL}
    assert (12, "CKPT301") not in lint_project(tmp_path, modules, "train.py")
    unguarded = UTILS.replace("        if is_main_process():\n            torch.save", "        torch.save")
    assert (12, "CKPT301") in lint_project(tmp_path, {"utils.py": unguarded}, "train.py")


def test_summaries_are_built_once_per_content_and_read_from_disk(tmp_path) -> None:
    for name, source in {"train.py": TRAIN_SAVES_THROUGH_UTILS, "utils.py": UTILS, "model.py": MODEL}.items():
        (tmp_path / name).write_text(textwrap.dedent(source).lstrip("\n"))
    project = build_settings({}, root=str(tmp_path)).project
    cache = str(tmp_path / ".ckptlint_cache")  # named as by default: no module name, so no module file
    first = ProjectIndex(project, cache)
    view = first.view(str(tmp_path / "train.py"))
    assert view.resolve("utils.save_on_master").forwards_save and view.resolve("model.Net").kind == "model"
    read = sorted(os.path.basename(p) for p in view.reads if not p.endswith(os.sep))  # modules, not folders
    assert first.parsed == 2 and read == ["model.py", "utils.py"]
    assert view.resolve("utils.is_main_process").returns_rank_test
    assert first.parsed == 2  # in memory
    first.grown()  # what a run does after each file: the facts computed are written
    second = ProjectIndex(project, cache)
    view = second.view(str(tmp_path / "train.py"))
    assert view.resolve("utils.save_on_master").forwards_save and view.resolve("model.Net").kind == "model"
    assert view.resolve("utils.is_main_process").returns_rank_test
    assert second.parsed == 0  # from disk: no parse
    assert not view.resolve("utils.is_main_process").trains  # a fact never computed: its module is parsed now
    assert second.parsed == 1


def test_a_summary_computes_only_the_facts_read(tmp_path) -> None:
    """Reading that `models.Net` is a model does not parse the module another function of
    `models.py` builds its loss from: a summary's facts are computed when first read."""
    modules = {
        "train.py": "import torch\nfrom models import Net\n\nnet = Net()\ntorch.save(net, '/ckpt/net.pt')\n",
        "models.py": (
            "import torch.nn as nn\nfrom losses import focal\n\n\nclass Net(nn.Module):\n    pass\n\n\n"
            "def loss_of(x):\n    return focal(x)\n"
        ),
        "losses.py": "import torch.nn as nn\n\n\ndef focal(x):\n    return nn.Linear(2, 2)\n",
    }
    index, view = indexed(tmp_path, modules)
    assert view.resolve("models.Net").kind == "model"
    assert index.parsed == 1  # models.py; not losses.py
    assert view.resolve("models.loss_of").returns_kind == "model"  # read now: losses.py is parsed for it
    assert index.parsed == 2
    assert lint_project(tmp_path, modules, "train.py") == [(5, "CKPT101")]


@pytest.mark.parametrize("caller", ["other", "save_state"])
def test_whether_a_function_saves_is_told_by_the_calls_it_runs_only(tmp_path, caller: str) -> None:
    """Whether `utils.save_state` is a save helper depends on its code and on the functions it
    runs, not on what `other` calls: `writers.py`, which only `other` calls, is not parsed to tell.
    When `save_state` runs `other` in turn, `writers.py` is parsed, and its helper counts."""
    modules = {
        "train.py": "import torch\nfrom utils import save_state\n\nnet = torch.nn.Linear(2, 2)\nsave_state(net, '/ckpt/net.pt')\n",
        "utils.py": (
            "import torch\nfrom writers import write\n\n\ndef other(obj, path):\n    write(obj, path)\n\n\n"
            "def save_state(obj, path):\n    " + ("torch.save(obj, path)" if caller == "other" else "other(obj, path)") + "\n"
        ),
        "writers.py": "import torch\n\n\ndef write(obj, path):\n    torch.save(obj, path)\n",
    }
    index, view = indexed(tmp_path, modules)
    assert view.resolve("utils.save_state").saves_object == "obj"
    assert index.parsed == (1 if caller == "other" else 2)  # utils.py (and writers.py when it runs `other`)
    assert (5, "CKPT101") in lint_project(tmp_path, modules, "train.py")


@pytest.mark.parametrize("inside", [True, False])
def test_whether_a_function_requests_determinism_is_told_by_the_calls_inside_it_only(tmp_path, inside: bool) -> None:
    """Whether `utils.setup` requests determinism is read off its own code: `flags.py`, called only
    by `other`, is not parsed to tell, unless `setup` calls it itself (and then its request counts)."""
    modules = {
        "train.py": "import torch\nfrom utils import setup\n\nsetup()\ntorch.backends.cudnn.benchmark = True\n",
        "utils.py": (
            "import torch\nfrom flags import strict\n\n\ndef other():\n    strict()\n\n\n"
            "def setup():\n    " + ("strict()" if inside else "torch.use_deterministic_algorithms(True)") + "\n"
        ),
        "flags.py": "import torch\n\n\ndef strict():\n    torch.use_deterministic_algorithms(True)\n",
    }
    index, view = indexed(tmp_path, modules)
    assert view.resolve("utils.setup").requests_determinism
    assert index.parsed == (2 if inside else 1)  # utils.py (and flags.py when `setup` calls `strict`)
    assert "CKPT403" not in {code for _, code in lint_project(tmp_path, modules, "train.py")}


def test_a_model_let_go_while_a_fact_of_it_is_computed_is_closed_only_after(tmp_path, monkeypatch) -> None:
    """Reading `a.save_a`'s save facts reads `b`'s, then `c`'s: with room for one model, `a`'s is
    let go while its fact is still being computed. It is closed (its facts dropped) only once
    that computation ends, never under it."""
    import sys

    from ckptlint.semantic.model import SemanticModel
    from ckptlint.semantic.program import index as index_module
    from ckptlint.semantic.program.summarize import Source

    monkeypatch.setattr(index_module, "_HELD_MODELS", 1)
    closed: List[Tuple[str, bool]] = []
    close = SemanticModel.close

    def watched(model: SemanticModel) -> None:
        frame, computing = sys._getframe(1), False
        while frame is not None:  # a `Source.compute` of this model whose fact is still running
            source = frame.f_locals.get("self")
            in_compute = frame.f_code.co_name == "compute" and isinstance(source, Source)  # `co_qualname` is 3.11's
            computing |= in_compute and frame.f_locals.get("model") is model and getattr(source, "_computing", True)
            frame = frame.f_back
        closed.append((model.text.split("\n")[0], computing))
        close(model)

    monkeypatch.setattr(SemanticModel, "close", watched)
    modules = {
        "train.py": "import torch\nfrom a import save_a\n\nnet = torch.nn.Linear(2, 2)\nsave_a(net, '/ckpt/net.pt')\n",
        "a.py": "# a\nfrom b import save_b\n\n\ndef save_a(obj, path):\n    save_b(obj, path)\n",
        "b.py": "# b\nfrom c import save_c\n\n\ndef save_b(obj, path):\n    save_c(obj, path)\n",
        "c.py": "# c\nimport torch\n\n\ndef save_c(obj, path):\n    torch.save(obj, path)\n",
    }
    index, view = indexed(tmp_path, modules)
    assert view.resolve("a.save_a").saves_object == "obj"
    assert ("# a", False) in closed and ("# b", False) in closed  # let go (room for one), closed after
    assert not any(computing for _, computing in closed)


def test_a_fact_read_later_counts_for_the_cached_result(tmp_path) -> None:
    """What a file's lint read is known once its facts are computed: a fact computed after the
    summary was first read still makes the module it read part of the file's result."""
    modules = {
        "models.py": "import torch.nn as nn\nfrom losses import focal\n\n\ndef build():\n    return focal()\n",
        "losses.py": "import torch.nn as nn\n\n\ndef focal():\n    return nn.Linear(2, 2)\n",
    }
    index, view = indexed(tmp_path, modules)
    build = view.resolve("models.build")
    assert sorted(os.path.basename(p) for p in view.reads if not p.endswith(os.sep)) == ["models.py"]
    assert build.returns_kind == "model"
    assert sorted(os.path.basename(p) for p in view.reads if not p.endswith(os.sep)) == ["losses.py", "models.py"]


@pytest.mark.parametrize("cycle", [True, False])
def test_import_cycles_end(tmp_path, cycle: bool) -> None:
    modules = {
        "a.py": "from b import g\ndef f():\n    return g()\n",
        "b.py": ("from a import f\n" if cycle else "") + "import torch.nn as nn\ndef g():\n    return nn.Linear(1, 1)\n",
        "train.py": "import torch\nfrom a import f\nm = f()\ntorch.save(m, 'm.pt')\n",
    }
    found = lint_project(tmp_path, modules, "train.py")
    assert (4, "CKPT101") in found


def test_a_changed_helper_relints_its_importers_only_and_a_hit_never_parses(tmp_path, monkeypatch) -> None:
    import libcst

    from ckptlint.api import lint_paths

    modules = {
        "train.py": TRAIN_SAVES_THROUGH_UTILS,
        "utils.py": UTILS,
        "model.py": MODEL,
        "other.py": "import torch\nfor epoch in range(3):\n    torch.save({'epoch': epoch}, 'other.pt')\n",
    }
    for name, source in modules.items():
        (tmp_path / name).write_text(textwrap.dedent(source).lstrip("\n"))
    settings = build_settings({"select": ["ALL"]}, root=str(tmp_path))
    parsed: List[str] = []  # every parse of the run, to lint or to summarise, by file name
    real_parse = libcst.parse_module

    def parse(text, *args, **kwargs):  # type: ignore[no-untyped-def]
        parsed.extend(name for name in modules if (tmp_path / name).read_text() == text)
        return real_parse(text, *args, **kwargs)

    monkeypatch.setattr(libcst, "parse_module", parse)

    def run() -> List[str]:
        parsed.clear()
        lint_paths([str(tmp_path)], settings, cache_dir=str(tmp_path / ".cache"))
        return sorted(parsed)

    # Each file once: utils.py is parsed for its summary (train.py reads it), and its own lint
    # uses that parse; model.py is only summarised (no rule can fire there).
    assert run() == ["model.py", "other.py", "train.py", "utils.py"]
    assert run() == []  # every result and summary from the cache: nothing parsed
    (tmp_path / "utils.py").write_text(textwrap.dedent(UTILS).lstrip("\n") + "\n\ndef unused():\n    pass\n")
    assert run() == ["train.py", "utils.py"]  # utils changed; train read its summary; model and other did not


def test_a_module_summarised_for_another_file_is_linted_next_from_that_parse(tmp_path, monkeypatch) -> None:
    """`a_train.py` reads `z_utils.py`'s summary: `z_utils.py` is linted right after it, from the
    parse its summary was built from, before `m_other.py` (discovery order resumes after it)."""
    import libcst

    from ckptlint.api import lint_paths
    from ckptlint.engine import runner

    modules = {
        "a_train.py": TRAIN_SAVES_THROUGH_UTILS.replace("import utils", "import z_utils as utils"),
        "m_other.py": "import torch\nfor epoch in range(3):\n    torch.save({'epoch': epoch}, 'other.pt')\n",
        "z_utils.py": UTILS,
    }
    for name, source in modules.items():
        (tmp_path / name).write_text(textwrap.dedent(source).lstrip("\n"))
    settings = build_settings({"select": ["ALL"]}, root=str(tmp_path))
    texts = {(tmp_path / name).read_text(): name for name in modules}
    parsed: List[str] = []
    real_parse = libcst.parse_module
    monkeypatch.setattr(libcst, "parse_module", lambda text, *a, **k: parsed.append(texts.get(text, "?")) or real_parse(text, *a, **k))
    linted: List[str] = []
    real_lint = runner.lint_text
    monkeypatch.setattr(runner, "lint_text", lambda text, path, *a, **k: linted.append(os.path.basename(path)) or real_lint(text, path, *a, **k))
    monkeypatch.chdir(tmp_path)
    report = lint_paths(["."], settings)  # relative paths, as a user types them
    assert linted == ["a_train.py", "z_utils.py", "m_other.py"]
    assert sorted(parsed) == ["a_train.py", "m_other.py", "z_utils.py"]  # each once
    assert [os.path.basename(r.path) for r in report.files] == ["a_train.py", "m_other.py", "z_utils.py"]


TRAINER_MODULE = """
    import torch
    import torch.nn as nn

    class Trainer:
        def __init__(self, rank):
            self.rank = rank
            self.is_main = rank == 0
            self.net = nn.Linear(2, 2)
            self.opt = torch.optim.Adam(self.net.parameters())

        def save(self, num):
            torch.save({"net": self.net.state_dict(), "opt": self.opt.state_dict(), "step": num}, {path})

        def train(self, steps):
            for step in range(steps):
                self.opt.step()
                if self.is_main and step % 100 == 0:
                    self.save(step)
"""
SPAWNED_JOB = """
    import torch.distributed as dist
    from trainer import Trainer

    def run(rank, world_size):
        dist.init_process_group("nccl", rank=rank, world_size=world_size)
        model = Trainer(rank)
        model.train(1000)
        model.save(1000)
"""


@pytest.mark.parametrize(
    "path, fires",
    [
        ('f"models/model_{num}.pt"', True),  # the same file on every rank
        ('f"models/model_{num}_rank{self.rank}.pt"', False),  # one file per rank
    ],
)
def test_a_helper_guarded_only_by_its_own_modules_callers_is_unguarded_elsewhere(tmp_path, path: str, fires: bool) -> None:
    # Trainer.save is guarded in trainer.py only because trainer.py calls it under `if self.is_main`:
    # the spawned job's own call runs on every rank (CKPT301), unless the file name is per rank.
    modules = {"trainer.py": TRAINER_MODULE.replace("{path}", path), "job.py": SPAWNED_JOB}
    assert ((8, "CKPT301") in lint_project(tmp_path, modules, "job.py")) is fires
    assert all(code != "CKPT301" for _, code in lint_project(tmp_path, modules, "trainer.py"))


@pytest.mark.parametrize("annotation, fires", [(": Net", True), ("", False)])
def test_a_helper_that_gives_its_argument_back_and_an_annotation_with_a_project_class(tmp_path, annotation: str, fires: bool) -> None:
    modules = {
        "model.py": MODEL,
        "utils.py": "def to_device(model, device):\n    if device == 'cpu':\n        return model\n    return model.to(device)\n",
        "train.py": f"""
            import torch
            from model import Net
            from utils import to_device

            def export(net{annotation}, path):
                model = to_device(net, "cuda")
                torch.save(model, path)
            """,
    }
    # `to_device` returns its argument (utils.py's summary); `net: Net` is a model.py class instance
    assert ((7, "CKPT101") in lint_project(tmp_path, modules, "train.py")) is fires


def test_a_summary_built_from_another_modules_summary_follows_that_module(tmp_path) -> None:
    """`a.build_model` returns a model because `b.Net` is an `nn.Module`: once `b.Net` no longer is
    one, neither `a`'s summary on disk nor `train.py`'s cached result may still say so (`train.py`
    reads `a` only, `a` reads `b`)."""
    from ckptlint.api import lint_paths

    modules = {
        "train.py": "import torch\nfrom a import build_model\nmodel = build_model()\ntorch.save(model, '/ckpt/model.pt')\n",
        "a.py": "from b import Net\n\ndef build_model():\n    return Net()\n",
        "b.py": "import torch.nn as nn\n\nclass Net(nn.Module):\n    pass\n",
    }
    for name, source in modules.items():
        (tmp_path / name).write_text(source)
    settings = build_settings({"select": ["ALL"]}, root=str(tmp_path))

    def codes(*, result_cache: bool) -> List[str]:
        cache = str(tmp_path / ".cache")
        report = lint_paths([str(tmp_path / "train.py")], settings, cache_dir=cache if result_cache else None)
        return [d.code for d in report.diagnostics]

    assert codes(result_cache=True) == ["CKPT101"]
    (tmp_path / "b.py").write_text(modules["b.py"].replace("nn.Module", "object"))
    assert codes(result_cache=True) == []  # the result cached for train.py is not used
    for entry in (tmp_path / ".cache").rglob("*.json"):
        if "summaries" not in entry.parts:
            entry.unlink()  # no cached results: only the summaries on disk are left to read
    assert codes(result_cache=True) == []
    (tmp_path / "b.py").write_text(modules["b.py"])
    assert codes(result_cache=True) == ["CKPT101"]


def test_a_module_file_is_looked_at_once_per_run_and_again_in_the_next(tmp_path, monkeypatch) -> None:
    from ckptlint.semantic.program import index as index_module

    (tmp_path / "helpers.py").write_text("import torch\n\ndef save(state, path):\n    torch.save(state, path)\n")
    looked: List[str] = []
    real_stamp = index_module._stamp
    monkeypatch.setattr(index_module, "_stamp", lambda path: looked.append(path) or real_stamp(path))
    index = ProjectIndex(build_settings({}, root=str(tmp_path)).project)
    helpers = str(tmp_path / "helpers.py")
    index_module.new_run()
    for _ in range(3):
        assert index.summary(helpers).summary.functions["save"].saves_object == "state"
    assert looked == [helpers]
    (tmp_path / "helpers.py").write_text("def save(state, path):\n    print(state, path)\n")
    assert index.summary(helpers).summary.functions["save"].saves_object == "state"  # the same run
    index_module.new_run()
    assert index.summary(helpers).summary.functions["save"].saves_object is None


# A save helper whose name says nothing (`f`), in a sibling module: the script never spells `save`.
SAVES_BY_ANOTHER_NAME = {
    "utils.py": "import torch\n\ndef f(o, p):\n    torch.save(o, p)\n",
    "train.py": "import torch\nfrom utils import f\n\nmodel = torch.nn.Linear(2, 2)\nf(model, '/ckpt/m.pt')\n",
}


@pytest.mark.parametrize(
    "helper",
    [
        "import torch\n\ndef f(o, p):\n    torch.save(o, p)\n",
        "from torch import save as S\n\ndef f(o, p):\n    S(o, p)\n",  # the word is the import's only
        "import torch\n\ndef _write(o, p):\n    torch.save(o, p)\n\ndef f(o, p):\n    _write(o, p)\n",
    ],
    ids=["direct", "aliased-import", "through-its-own-helper"],
)
def test_a_save_helper_of_another_module_whose_name_is_no_save(tmp_path, helper: str) -> None:
    found = lint_project(tmp_path, {**SAVES_BY_ANOTHER_NAME, "utils.py": helper}, "train.py")
    assert (5, "CKPT101") in found


def test_a_method_of_another_modules_class_that_saves_through_another_method(tmp_path) -> None:
    """`trainer.checkpoint(...)`: the method named is looked at, and `self._write`, which it names."""
    modules = {
        "trainer.py": (
            "import torch\n\n\nclass Trainer:\n    def _write(self, obj, path):\n        torch.save(obj, path)\n\n"
            "    def checkpoint(self, obj, path):\n        self._write(obj, path)\n"
        ),
        "train.py": (
            "import torch\nfrom trainer import Trainer\n\nmodel = torch.nn.Linear(2, 2)\ntrainer = Trainer()\n"
            "trainer.checkpoint(model, '/ckpt/m.pt')\n"
        ),
    }
    assert (6, "CKPT101") in lint_project(tmp_path, modules, "train.py")


def test_a_function_whose_code_holds_no_save_is_not_summarised_to_tell(tmp_path) -> None:
    """`log` reaches no save, seeding, step, rank or process group: its module is looked at (its
    outline) and counted as read, but not parsed; when it starts saving, the importer sees it."""
    modules = {
        "helpers.py": "def log(message):\n    print(message)\n",
        # its own save makes it worth a full analysis (and a cached result)
        "train.py": "import torch\nfrom helpers import log\n\nmodel = torch.nn.Linear(2, 2)\nlog(model)\ntorch.save(model.state_dict(), '/ckpt/m.pt')\n",
    }
    for name, source in modules.items():
        (tmp_path / name).write_text(source)
    project = build_settings({}, root=str(tmp_path)).project
    index = ProjectIndex(project)
    view = index.view(str(tmp_path / "train.py"))
    for words in (frozenset({"save"}), frozenset({"manual_seed", "seed"})):
        assert not view.may_give("helpers.log", words)
    assert index.parsed == 0 and [os.path.basename(p) for p in view.reads if not p.endswith(os.sep)] == ["helpers.py"]
    before = lint_project(tmp_path, modules, "train.py")
    assert (5, "CKPT101") not in before
    (tmp_path / "helpers.py").write_text("import torch\n\ndef log(message):\n    torch.save(message, '/ckpt/m.pt')\n")
    assert lint_project(tmp_path, {}, "train.py") == sorted(before + [(5, "CKPT101")])


def cached_lint(tmp_path, modules: Dict[str, str]) -> Callable[[], List[str]]:  # type: ignore[no-untyped-def]
    """Write ``modules`` into ``tmp_path``; a lint of its `train.py` with a result cache (in the
    project, under a name no import can find), giving `line:code` of each finding."""
    from ckptlint.api import lint_paths

    for name, source in modules.items():
        (tmp_path / name).write_text(source)
    settings = build_settings({"select": ["ALL"]}, root=str(tmp_path))

    def lint() -> List[str]:
        report = lint_paths([str(tmp_path / "train.py")], settings, cache_dir=str(tmp_path / ".cache"))
        return [f"{d.span.line}:{d.code}" for d in report.diagnostics]

    return lint


def test_a_cached_result_is_dropped_when_a_helper_it_looked_at_starts_saving(tmp_path) -> None:
    modules = {
        "helpers.py": "def log(message):\n    print(message)\n",
        # its own save makes it worth a full analysis (and a cached result)
        "train.py": "import torch\nfrom helpers import log\n\nmodel = torch.nn.Linear(2, 2)\nlog(model)\ntorch.save(model.state_dict(), '/ckpt/m.pt')\n",
    }
    codes = cached_lint(tmp_path, modules)
    before = codes()
    assert "5:CKPT101" not in before and codes() == before  # the second from the cache
    (tmp_path / "helpers.py").write_text("import torch\n\ndef log(message):\n    torch.save(message, '/ckpt/m.pt')\n")
    assert "5:CKPT101" in codes()


BASE_TRAINER = "import torch\n\n\nclass BaseTrainer:\n    def persist(self, model, path):\n        torch.save(model, path)\n"
INHERITED_CALLS = {
    "self": "class Trainer(BaseTrainer):\n    def run(self):\n        model = torch.nn.Linear(2, 2)\n        self.persist(model, '/ckpt/m.pt')\n",
    "instance": (
        "class Trainer(BaseTrainer):\n    pass\n\n\ndef run():\n    trainer = Trainer()\n"
        "    trainer.persist(torch.nn.Linear(2, 2), '/ckpt/m.pt')\n"
    ),
    "super": (
        "class Trainer(BaseTrainer):\n    def persist(self, model, path):\n"
        "        super().persist(torch.nn.Linear(2, 2), '/ckpt/m.pt')\n"
    ),
    "through-a-same-file-base": (
        "class Middle(BaseTrainer):\n    pass\n\n\nclass Trainer(Middle):\n    def run(self):\n"
        "        self.persist(torch.nn.Linear(2, 2), '/ckpt/m.pt')\n"
    ),
}


@pytest.mark.parametrize("call", INHERITED_CALLS.values(), ids=INHERITED_CALLS.keys())
def test_a_method_inherited_from_another_modules_class(tmp_path, call: str) -> None:
    """`self.persist(model, path)` in a subclass runs the base class's `persist` of `trainer.py`."""
    modules = {"trainer.py": BASE_TRAINER, "train.py": "import torch\nfrom trainer import BaseTrainer\n\n\n" + call}
    found = lint_project(tmp_path, modules, "train.py")
    assert [code for _, code in found].count("CKPT101") == 1


OVERRIDDEN_OR_UNKNOWN = {
    # the subclass's own `persist` runs, and it saves a state dict
    "overridden": "class Trainer(BaseTrainer):\n    def persist(self, model, path):\n        torch.save(model.state_dict(), path)\n\n"
    "    def run(self):\n        self.persist(torch.nn.Linear(2, 2), '/ckpt/m.pt')\n",
    # a second base outside the project may define `persist` first
    "a-torch-base-first": "class Trainer(torch.nn.Module, BaseTrainer):\n    def run(self):\n"
    "        self.persist(torch.nn.Linear(2, 2), '/ckpt/m.pt')\n",
    "starred-bases": "BASES = (BaseTrainer,)\n\n\nclass Trainer(*BASES):\n    def run(self):\n"
    "        self.persist(torch.nn.Linear(2, 2), '/ckpt/m.pt')\n",
}


@pytest.mark.parametrize("source", OVERRIDDEN_OR_UNKNOWN.values(), ids=OVERRIDDEN_OR_UNKNOWN.keys())
def test_an_inherited_method_that_may_not_be_the_base_classes_is_unknown(tmp_path, source: str) -> None:
    modules = {"trainer.py": BASE_TRAINER, "train.py": "import torch\nfrom trainer import BaseTrainer\n\n\n" + source}
    assert "CKPT101" not in [code for _, code in lint_project(tmp_path, modules, "train.py")]


CHAINS = {
    # `Trainer` of `trainer.py` inherits `persist` from its base in `core.py`
    "across-two-modules": {
        "core.py": BASE_TRAINER,
        "trainer.py": "from core import BaseTrainer as Root\n\n\nclass BaseTrainer(Root):\n    pass\n",
    },
    # ... and from its base in its own module
    "within-the-other-module": {
        "trainer.py": BASE_TRAINER.replace("class BaseTrainer:", "class Root:") + "\n\nclass BaseTrainer(Root):\n    pass\n",
    },
}


@pytest.mark.parametrize("modules", CHAINS.values(), ids=CHAINS.keys())
@pytest.mark.parametrize("call", ["self", "instance"])
def test_a_method_another_modules_class_inherits_in_turn(tmp_path, modules: Dict[str, str], call: str) -> None:
    """`self.persist(...)` / `trainer.persist(...)`: `BaseTrainer` of `trainer.py` does not define
    `persist`; the class it derives from does."""
    if call == "instance":
        train = "import torch\nfrom trainer import BaseTrainer\n\ntrainer = BaseTrainer()\ntrainer.persist(torch.nn.Linear(2, 2), '/ckpt/m.pt')\n"
    else:
        train = "import torch\nfrom trainer import BaseTrainer\n\n\n" + INHERITED_CALLS["self"]
    found = lint_project(tmp_path, {**modules, "train.py": train}, "train.py")
    assert [code for _, code in found].count("CKPT101") == 1


def test_a_method_of_a_class_with_two_bases_of_other_modules_is_unknown(tmp_path) -> None:
    """`BaseTrainer(Root, Logger)`: which class's `persist` Python finds first depends on the bases
    of both, which summaries do not keep; it is not assumed (not even here, where it is `Root`'s)."""
    modules = {
        "core.py": BASE_TRAINER,
        "logs.py": "class Logger:\n    pass\n",
        "trainer.py": "from core import BaseTrainer as Root\nfrom logs import Logger\n\n\nclass BaseTrainer(Root, Logger):\n    pass\n",
        "train.py": "import torch\nfrom trainer import BaseTrainer\n\n\n" + INHERITED_CALLS["self"],
    }
    assert "CKPT101" not in [code for _, code in lint_project(tmp_path, modules, "train.py")]


def test_the_init_a_class_of_another_module_inherits(tmp_path) -> None:
    """`Trainer(model, path)` where `trainer.py`'s `Trainer` has no `__init__` of its own: its base's
    in `core.py` runs, and saves what it is given."""
    modules = {
        "core.py": "import torch\n\n\nclass Root:\n    def __init__(self, model, path):\n        torch.save(model, path)\n",
        "trainer.py": "from core import Root\n\n\nclass Trainer(Root):\n    pass\n",
        "train.py": "import torch\nfrom trainer import Trainer\n\nTrainer(torch.nn.Linear(2, 2), '/ckpt/m.pt')\n",
    }
    assert (4, "CKPT101") in lint_project(tmp_path, modules, "train.py")


def test_a_cached_result_is_dropped_when_the_base_class_of_a_base_class_changes(tmp_path) -> None:
    """`train.py` reads `persist` of `trainer.py`'s class through `core.py`'s: its cached result
    depends on `core.py` too."""
    modules = {
        "core.py": BASE_TRAINER.replace("torch.save(model, path)", "torch.save(model.state_dict(), path)"),
        "trainer.py": "from core import BaseTrainer as Root\n\n\nclass BaseTrainer(Root):\n    pass\n",
        "train.py": "import torch\nfrom trainer import BaseTrainer\n\n\n" + INHERITED_CALLS["self"],
    }
    codes = cached_lint(tmp_path, modules)
    before = codes()
    assert "8:CKPT101" not in before and codes() == before  # the second from the cache
    (tmp_path / "core.py").write_text(BASE_TRAINER)
    assert "8:CKPT101" in codes()


# Trains, loads (so the loads' rules run, and its result is cached) and calls a helper of another module.
TRAIN_SETUP = (
    "import torch\nfrom helpers import setup\n\nsetup()\n"
    "state = torch.load('init.pt', map_location='cpu', weights_only=True)\n"
    "model = torch.nn.Linear(2, 2)\noptimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n"
    "for step in range(3):\n    model(torch.ones(2)).sum().backward()\n    optimizer.step()\n"
)


def test_a_cached_result_is_dropped_when_a_module_reached_starts_holding_a_rules_word(tmp_path) -> None:
    """The pre-filter left CKPT404 out of `train.py`'s lint: no code it reaches seeds. No fact of the
    rules that ran looked at `setup` (the loads' rules read none), so only the pre-filter's walk read
    `helpers.py`, and that counts: once `setup` seeds, the result is dropped and CKPT404 runs."""
    codes = cached_lint(tmp_path, {"train.py": TRAIN_SETUP, "helpers.py": "def setup():\n    print('ready')\n"})
    before = codes()
    assert before == [] and not _linted_again(codes)  # analysed (the loads' rules ran), then cached
    (tmp_path / "helpers.py").write_text("import torch\n\n\ndef setup():\n    torch.manual_seed(0)\n")
    assert "4:CKPT404" in codes()


def test_a_file_linted_with_the_model_its_summary_built_counts_what_its_pre_filter_read(tmp_path, monkeypatch) -> None:
    """`other.py` imports `train.py`, so the run parses `train.py` for its summary and lints it with
    that model (`FileView.own_model`): its cached result depends on what that model's facts read
    and on what its own pre-filter's walk read (`helpers.py`), which is not behind the model."""
    from ckptlint.api import lint_paths
    from ckptlint.semantic.program import index as index_module

    modules = {
        "helpers.py": "def setup():\n    print('ready')\n",
        "train.py": TRAIN_SETUP + "\n\ndef build():\n    return torch.nn.Linear(2, 2)\n",
        "other.py": "import torch\nfrom train import build\n\nmodel = build()\ntorch.save(model.state_dict(), '/ckpt/m.pt')\n",
    }
    for name, source in modules.items():
        (tmp_path / name).write_text(source)
    settings = build_settings({"select": ["ALL"]}, root=str(tmp_path))
    lent: List[str] = []
    real = index_module.ProjectIndex.take_model

    def take(self, path, *rest):  # type: ignore[no-untyped-def]
        model = real(self, path, *rest)
        if model is not None:
            lent.append(os.path.basename(path))
        return model

    monkeypatch.setattr(index_module.ProjectIndex, "take_model", take)

    def codes() -> List[str]:
        files = [str(tmp_path / "other.py"), str(tmp_path / "train.py")]
        report = lint_paths(files, settings, cache_dir=str(tmp_path / ".cache"))
        return [f"{os.path.basename(d.path)}:{d.span.line}:{d.code}" for d in report.diagnostics]

    assert "train.py:4:CKPT404" not in codes() and lent == ["train.py"]
    (tmp_path / "helpers.py").write_text("import torch\n\n\ndef setup():\n    torch.manual_seed(0)\n")
    assert "train.py:4:CKPT404" in codes()


@pytest.mark.parametrize("created", ["utils.py", "utils/__init__.py"])
def test_a_cached_result_is_dropped_when_a_module_it_imports_appears(tmp_path, created: str) -> None:
    """`from utils import save_ckpt` with no `utils` module yet: unknown, silent, and cached; once
    `utils.py` (or a package `utils/`) is written beside the script, the import leads there and the
    save is seen. The folders an import looked in count as read; a checkpoint written there does
    not drop the result."""
    train = (
        "import torch\nfrom utils import save_ckpt\n\nmodel = torch.nn.Linear(2, 2)\nsave_ckpt(model, '/ckpt/m.pt')\n"
        "torch.save(model.state_dict(), '/ckpt/w.pt')\n"
    )
    findings = cached_lint(tmp_path, {"train.py": train})
    before = findings()
    assert "5:CKPT101" not in before and findings() == before
    (tmp_path / "last.pt").write_bytes(b"not a module")
    assert not _linted_again(findings) and findings() == before  # served from the cache
    (tmp_path / created).parent.mkdir(exist_ok=True)
    (tmp_path / created).write_text("import torch\n\n\ndef save_ckpt(obj, path):\n    torch.save(obj, path)\n")
    assert "5:CKPT101" in findings()


def _linted_again(lint: Callable[[], List[str]]) -> bool:
    """Whether ``lint()`` analyses its file (rather than reading its cached result)."""
    from ckptlint.engine import runner

    analysed: List[str] = []
    real = runner._analyse
    runner._analyse = lambda *args, **kwargs: analysed.append("x") or real(*args, **kwargs)  # type: ignore[assignment]
    try:
        lint()
    finally:
        runner._analyse = real  # type: ignore[assignment]
    return bool(analysed)


def test_a_fact_read_after_its_model_was_let_go_is_computed_from_a_new_parse(tmp_path, monkeypatch) -> None:
    """Summaries hold their models for the facts still to read, the least recently used let go
    first: a fact read afterwards parses the module again, and is the same."""
    from ckptlint.semantic.program import index as index_module
    from ckptlint.semantic.program.summarize import Source

    monkeypatch.setattr(index_module, "_HELD_MODELS", 1)
    (tmp_path / "utils.py").write_text(textwrap.dedent(UTILS).lstrip("\n"))
    (tmp_path / "model.py").write_text(textwrap.dedent(MODEL).lstrip("\n"))
    index = ProjectIndex(build_settings({}, root=str(tmp_path)).project, None)
    view = index.view(str(tmp_path / "train.py"))
    assert view.resolve("utils.save_on_master").forwards_save
    assert view.resolve("model.Net").kind == "model"  # utils.py's model is let go
    assert index.parsed == 2
    assert view.resolve("utils.is_main_process").returns_rank_test
    assert index.parsed == 3
    assert view.resolve("utils.save_on_master").save_guarded  # computed from the model held now
    assert index.parsed == 3


def test_models_are_let_go_beyond_a_size_too(tmp_path, monkeypatch) -> None:
    """The models held are bounded by their modules' characters as well as by their number: a
    large module's model pushes out the others (the one just read stays held)."""
    from ckptlint.semantic.program import index as index_module

    utils, model = textwrap.dedent(UTILS).lstrip("\n"), textwrap.dedent(MODEL).lstrip("\n")
    monkeypatch.setattr(index_module, "_HELD_CHARACTERS", max(len(utils), len(model)) + 1)
    (tmp_path / "utils.py").write_text(utils)
    (tmp_path / "model.py").write_text(model)
    index = ProjectIndex(build_settings({}, root=str(tmp_path)).project, None)
    view = index.view(str(tmp_path / "train.py"))
    assert view.resolve("utils.save_on_master").forwards_save
    assert view.resolve("model.Net").kind == "model"  # the two together are over the bound
    assert index.parsed == 2
    assert view.resolve("utils.is_main_process").returns_rank_test
    assert index.parsed == 3
    monkeypatch.setattr(index_module, "_HELD_CHARACTERS", len(utils) + len(model))
    assert not view.resolve("model.Net.forward").trains  # model.py parsed again; now both fit
    assert index.parsed == 4
    assert view.resolve("utils.init_distributed_mode").starts_process_group
    assert index.parsed == 4


def test_a_second_run_reads_the_facts_the_first_wrote_and_parses_no_module(tmp_path) -> None:
    """The pre-commit case: the first run writes the facts it computed; the next run, in a new
    process, reads them and parses no other module (a gate whose answer the first run found by a
    walk is found by the walk again, not by computing a fact the summary on disk lacks)."""
    from ckptlint.api import lint_paths
    from ckptlint.semantic.program import index as index_module

    modules = {
        "utils.py": UTILS + "\n    def log(message):\n        print(message)\n",
        "train.py": """
            import torch
            from utils import log, save_on_master

            model = torch.nn.Linear(2, 2)
            log("start")
            save_on_master(model, "/ckpt/model.pt")
        """,
    }
    for name, source in modules.items():
        (tmp_path / name).write_text(textwrap.dedent(source).lstrip("\n"))
    settings = build_settings({"select": ["ALL"]}, root=str(tmp_path))
    cache = str(tmp_path / ".ckptlint_cache")
    parsed = []
    for edit in ("# first run\n", "# second run\n"):
        index_module._INDEXES.clear()  # a new process
        with open(tmp_path / "train.py", "a") as handle:
            handle.write(edit)  # the file changed: its own result is not a cache hit
        report = lint_paths([str(tmp_path / "train.py")], settings, cache_dir=cache)
        assert [d.code for d in report.files[0].diagnostics] == ["CKPT101"]
        parsed.append(sum(index.parsed for index in index_module._INDEXES.values()))
    assert parsed == [1, 0]
