"""What a file reaches in other modules, for the pre-filter (`program/outline.py`, `program/reach.py`).

The pre-filter counts a word of another module only when the file's imports
reach the code it is in: these tests pin both halves, what is reached (so the
filter stays sufficient) and what is not (so a library's docstrings and
unrelated mixin methods do not send every file to the full analysis).
"""

from __future__ import annotations

import os
import textwrap
from typing import Dict

from ckptlint.config.loader import build_settings
from ckptlint.rules.words import LOCAL_ONLY
from ckptlint.semantic.program.index import ProjectIndex
from ckptlint.semantic.program.outline import code_of, outline


def _write(root: str, modules: Dict[str, str]) -> None:
    for name, source in modules.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write(textwrap.dedent(source).lstrip("\n"))


def reaches(tmp_path, modules: Dict[str, str], target: str = "train.py", local_only=frozenset()):  # type: ignore[no-untyped-def]
    """The words `train.py` (of ``modules``) sees: its own and those of the code it reaches."""
    root = str(tmp_path)
    _write(root, modules)
    index = ProjectIndex(build_settings({}, root=root).project)
    path = os.path.join(root, target)
    with open(path) as handle:
        return index.view(path).words(handle.read(), local_only)


# -- outlines -----------------------------------------------------------------------
def test_strings_and_comments_are_not_code_but_a_dotted_name_in_a_string_is() -> None:
    code = code_of('x = "torch.save(model)"  # save it\ny = """\nsave\n""" + \'models.Net\' + r"a\\\\"\n')
    assert "save" not in code and "torch" not in code
    assert "'models.Net'" in code and code.startswith("x =")


def test_a_class_is_its_own_lines_and_its_methods() -> None:
    found = outline(textwrap.dedent('''
        @register
        class Trainer(Base):
            epochs = 10

            def fit(self):
                self.save_all()

            @torch.no_grad()
            def save_all(self):
                torch.save(self.model, "m.pt")
    '''))
    assert found is not None
    (shell,) = found.binding["Trainer"]
    assert {"register", "Base", "epochs"} <= shell.idents and "torch" not in shell.idents
    methods = dict(shell.methods)
    assert set(methods) == {"fit", "save_all"}
    assert "save" in methods["save_all"].idents and "no_grad" in methods["save_all"].idents


def test_module_imports_under_try_and_a_function_own_imports() -> None:
    found = outline(textwrap.dedent('''
        try:
            from .fast import save_ckpt
        except ImportError:
            save_ckpt = None
        from .common import *

        def main():
            from helpers import seed_all as seed
            seed(0)
    '''))
    assert found is not None
    assert found.imports["save_ckpt"] == (".fast.save_ckpt",)
    assert found.binding["save_ckpt"]  # the `except` branch binds it too
    assert found.stars == (".common",)
    (main,) = found.binding["main"]
    assert main.imports == {"seed": ("helpers.seed_all",)}


def test_a_text_python_cannot_read_has_no_outline() -> None:
    assert outline("def f(:\n") is None


# -- reach --------------------------------------------------------------------------
def test_a_re_export_reaches_the_definition_not_the_whole_package(tmp_path) -> None:
    words = reaches(tmp_path, {
        "train.py": "from pkg import save_ckpt\nsave_ckpt(model, 'a.pt')\n",
        "pkg/__init__.py": "from .io import save_ckpt\nfrom .noise import seed_all\n",
        "pkg/io.py": "import torch\n\ndef save_ckpt(obj, path):\n    torch.save(obj, path)\n",
        "pkg/noise.py": "import torch\n\ndef seed_all(s):\n    torch.manual_seed(s)\n",
    })
    assert "save" in words and "torch" in words
    assert "manual_seed" not in words


def test_a_module_imported_as_a_name_reaches_the_attributes_used(tmp_path) -> None:
    words = reaches(tmp_path, {
        "train.py": "from . import utils\nutils.save_on_master(state, 'a.pt')\n",
        "utils.py": (
            "import torch\n\ndef save_on_master(*args, **kwargs):\n    torch.save(*args, **kwargs)\n\n"
            "def seed(s):\n    torch.manual_seed(s)\n"
        ),
    })
    assert "save" in words and "manual_seed" not in words


def test_chains_are_followed_through_helpers_and_modules(tmp_path) -> None:
    words = reaches(tmp_path, {
        "train.py": "from trainer import run\nrun()\n",
        "trainer.py": "from store import keep\n\ndef run():\n    keep({})\n",
        "store.py": "import torch\n\ndef keep(state):\n    torch.save(state, 'x.pt')\n",
    })
    assert "save" in words


def test_a_method_is_reached_once_named_and_special_methods_at_once(tmp_path) -> None:
    modules = {
        "trainer.py": (
            "import torch\n\nclass Trainer:\n    def __init__(self):\n        torch.manual_seed(0)\n\n"
            "    def fit(self):\n        pass\n\n    def checkpoint(self):\n        torch.save(self.model, 'm.pt')\n"
        ),
    }
    fits = reaches(tmp_path / "a", {**modules, "train.py": "from trainer import Trainer\nTrainer().fit()\n"})
    assert "manual_seed" in fits and "save" not in fits
    checkpoints = reaches(tmp_path / "b", {**modules, "train.py": "from trainer import Trainer\nTrainer().checkpoint()\n"})
    assert "save" in checkpoints


def test_a_base_class_in_another_module_is_reached(tmp_path) -> None:
    words = reaches(tmp_path, {
        "train.py": "from base import Base\n\nclass Mine(Base):\n    def run(self):\n        self.persist()\n",
        "base.py": "import torch\n\nclass Base:\n    def persist(self):\n        torch.save(self, 'b.pt')\n",
    })
    assert "save" in words


def test_a_star_import_reaches_the_name_it_may_bind(tmp_path) -> None:
    words = reaches(tmp_path, {
        "train.py": "from pkg import *\nsave_ckpt(model, 'a.pt')\n",
        "pkg/__init__.py": "from .io import *\n",
        "pkg/io.py": "import torch\n\ndef save_ckpt(obj, path):\n    torch.save(obj, path)\n",
    })
    assert "save" in words


def test_docstrings_of_reached_code_do_not_count(tmp_path) -> None:
    words = reaches(tmp_path, {
        "train.py": "from pipe import Pipeline\nPipeline()\n",
        "pipe.py": 'EXAMPLE = """\n>>> torch.save(pipe, "p.pt")\n"""\n\nclass Pipeline:\n    """Call `save` to keep it."""\n',
    })
    assert "save" not in words


def test_an_unresolvable_import_reaches_nothing(tmp_path) -> None:
    words = reaches(tmp_path, {"train.py": "from elsewhere import save_ckpt\nsave_ckpt(m, 'a.pt')\n"})
    assert "torch" not in words


def test_a_module_python_cannot_parse_counts_whole(tmp_path) -> None:
    words = reaches(tmp_path, {
        "train.py": "from broken import keep\nkeep(m)\n",
        "broken.py": "import torch\n\ndef keep(m):\n    torch.save(m, 'a.pt')\n\ndef oops(:\n",
    })
    assert "save" in words


def test_a_file_python_cannot_parse_reaches_the_whole_modules_it_imports(tmp_path) -> None:
    words = reaches(tmp_path, {
        "train.py": "from store import keep\nkeep(m)\ndef oops(:\n",
        "store.py": "import torch\n\ndef keep(m):\n    torch.save(m, 'a.pt')\n",
    })
    assert "save" in words and "torch" in words


def test_local_only_words_come_from_the_file_alone(tmp_path) -> None:
    modules = {
        "train.py": "from io_utils import restore\nstate = restore('a.pt')\n",
        "io_utils.py": "import torch\n\ndef restore(path):\n    return torch.load(path)\n",
    }
    assert "load" in reaches(tmp_path / "a", modules)
    words = reaches(tmp_path / "b", modules, local_only=LOCAL_ONLY)
    assert "load" not in words and "torch" in words


def test_a_module_outline_is_read_back_from_the_cache_and_reaches_the_same(tmp_path, monkeypatch) -> None:
    from ckptlint.semantic.program import index as index_module

    modules = {
        "train.py": "from pkg import utils\nutils.save_ckpt(1, 'a.pt')\n",
        "pkg/__init__.py": "",
        "pkg/utils.py": "import torch\nfrom .deep import persist as p\n\ndef save_ckpt(s, path):\n    p(s, path)\n\nclass Unused:\n    def go(self):\n        return barrier()\n",
        "pkg/deep.py": "import torch\n\ndef persist(s, path):\n    torch.save(s, path)\n",
    }
    for name, source in modules.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(source)
    project = build_settings({}, root=str(tmp_path)).project
    train = str(tmp_path / "train.py")
    built = ProjectIndex(project, str(tmp_path / "cache")).reached(train, modules["train.py"], lambda module: None)
    outlined = []
    real = index_module.outline
    monkeypatch.setattr(index_module, "outline", lambda text: outlined.append(text) or real(text))
    read_back = ProjectIndex(project, str(tmp_path / "cache")).reached(train, modules["train.py"], lambda module: None)
    assert outlined == [modules["train.py"]]  # the linted text only: the modules come from the cache
    assert {word: read_back.has(word) for word in ("save", "persist", "barrier")} == {"save": True, "persist": True, "barrier": False}
    assert sorted(map(sorted, (p.idents for p in read_back.pieces))) == sorted(map(sorted, (p.idents for p in built.pieces)))


def test_the_fields_of_an_f_string_are_code(tmp_path) -> None:
    words = reaches(tmp_path, {
        "train.py": "from store import keep\n\nprint(f'{keep({})}')\n",
        "store.py": "import torch\n\ndef keep(state):\n    torch.save(state, 'x.pt')\n",
    })
    assert "save" in words
    assert code_of("x = f'{a.b(1)}' + 'c.d e'") == "x = f'{a.b(1)}' +  "


def test_the_walk_stops_at_the_first_piece_holding_the_word_asked(tmp_path, monkeypatch) -> None:
    from ckptlint.semantic.program import index as index_module

    modules = {
        "train.py": "from steps import setup\nsetup()\n",
        "steps.py": "from launch import start\n\ndef setup():\n    barrier()\n    start()\n",
        "launch.py": "import torch.distributed as dist\n\ndef start():\n    dist.init_process_group('nccl')\n",
    }
    _write(str(tmp_path), modules)
    outlined = []
    real = index_module.outline
    monkeypatch.setattr(index_module, "outline", lambda text: outlined.append(text) or real(text))
    train = str(tmp_path / "train.py")
    words = ProjectIndex(build_settings({}, root=str(tmp_path)).project).view(train).words(modules["train.py"])
    assert "barrier" in words
    assert modules["launch.py"] not in outlined  # `setup` holds it: `start` is never looked at
    assert "init_process_group" in words and modules["launch.py"] in outlined
    assert "fully_shard" not in words  # a word nowhere: the whole walk
