"""What the language server adds to the project index: unsaved buffers, modules to summarise
first, and which open documents read a module."""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

pytest.importorskip("pygls", reason="the `lsp` extra (pygls) is not installed")

from ckptlint.config.loader import load_settings  # noqa: E402
from ckptlint.lsp.workspace_index import WorkspaceIndex  # noqa: E402


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("CKPTLINT_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "pyproject.toml").write_text("[tool.ckptlint]\n")
    (tmp_path / "helpers.py").write_text("import torch\n\ndef save(state, path):\n    torch.save(state, path)\n")
    (tmp_path / "utils.py").write_text("from helpers import save\n")
    return tmp_path


def test_modules_never_summarised_come_farthest_first_and_not_again(project) -> None:
    settings = load_settings(str(project))
    index = WorkspaceIndex()
    train = str(project / "train.py")
    text = "import torch\nimport utils\nutils.save({}, 'a.pt')\n"
    assert index.missing(settings.project, train, text) == [str(project / "helpers.py"), str(project / "utils.py")]
    for module in index.missing(settings.project, train, text):
        index.summarise(settings.project, module)
        index.summarised(module)
    assert index.missing(settings.project, train, text) == []


def test_an_unsaved_buffer_is_what_the_index_reads(project) -> None:
    settings = load_settings(str(project))
    index = WorkspaceIndex()
    helpers = str(project / "helpers.py")
    project_index = index.index(settings.project)
    on_disk = project_index.summary(helpers)
    index.opened(helpers, "def save(state, path):\n    pass\n")
    edited = project_index.summary(helpers)
    assert edited[0] != on_disk[0] and edited[1].functions["save"].saves_object is None
    index.closed(helpers)
    assert project_index.summary(helpers)[0] == on_disk[0]


def test_the_importers_of_a_module_are_the_documents_whose_last_lint_read_it(project) -> None:
    index = WorkspaceIndex()
    helpers = str(project / "helpers.py")
    index.linted(str(project / "train.py"), SimpleNamespace(reads={helpers: "d1"}, summarised=lambda: [helpers]))
    index.linted(str(project / "eval.py"), SimpleNamespace(reads={}, summarised=lambda: []))
    index.linted(str(project / "alone.py"), None)  # linted on its own: reads nothing, changes nothing
    assert index.importers(helpers) == [str(project / "train.py")]
    index.closed(str(project / "train.py"))
    assert index.importers(os.path.relpath(helpers)) == []


def test_a_module_created_on_disk_during_the_session_is_found(project) -> None:
    settings = load_settings(str(project))
    index = WorkspaceIndex()
    train = str(project / "train.py")
    text = "import torch\nimport late\nlate.save({}, 'a.pt')\n"
    assert index.missing(settings.project, train, text) == []  # `late.py` does not exist yet
    (project / "late.py").write_text("from helpers import save\n")
    index.on_disk(str(project / "late.py"))  # the watcher's event
    assert str(project / "late.py") in index.missing(settings.project, train, text)
    assert index.view(settings.project, train).resolve("late.save") is not None


def test_what_a_document_imports_is_found_again_when_a_module_it_reads_changes(project) -> None:
    settings = load_settings(str(project))
    index = WorkspaceIndex()
    train, utils = str(project / "train.py"), str(project / "utils.py")
    (project / "extra.py").write_text("x = 1\n")
    (project / "fresh.py").write_text("z = 3\n")
    text = "import torch\nimport utils\nimport later\n"
    for module in index.missing(settings.project, train, text):
        index.summarised(module)
    assert index.missing(settings.project, train, text) == []
    # utils.py, edited in the editor, now imports extra.py: a module never summarised.
    index.opened(utils, "from helpers import save\nimport extra\n")
    assert index.missing(settings.project, train, text) == [str(project / "extra.py")]
    index.summarised(str(project / "extra.py"))
    # later.py did not exist; created on disk (the file watcher reports it), it is imported.
    (project / "later.py").write_text("y = 2\n")
    assert index.missing(settings.project, train, text) == []
    index.on_disk(str(project / "later.py"))
    assert index.missing(settings.project, train, text) == [str(project / "later.py")]
    index.summarised(str(project / "later.py"))
    # The document's own import lines changed.
    assert index.missing(settings.project, train, text + "import fresh\n") == [str(project / "fresh.py")]


def test_a_document_imports_the_modules_behind_the_summaries_it_read(project) -> None:
    """`train.py` reads `utils.checkpoint`, whose summary comes from `helpers.save`'s: an edit of
    `helpers.py` re-publishes `train.py`."""
    (project / "utils.py").write_text("from helpers import save\n\ndef checkpoint(state, path):\n    save(state, path)\n")
    settings = load_settings(str(project))
    index = WorkspaceIndex()
    train = str(project / "train.py")
    view = index.index(settings.project).view(train)
    assert view.resolve("utils.checkpoint").saves_object == "state"
    index.linted(train, view)
    assert index.importers(str(project / "helpers.py")) == [train]


def test_a_module_changed_on_disk_unannounced_is_read_again_after_a_lint(project) -> None:
    """A client that watches no files (or a change it missed, a `git checkout`): after each lint
    the index looks at the module files once more."""
    settings = load_settings(str(project))
    index = WorkspaceIndex()
    helpers = str(project / "helpers.py")
    project_index = index.index(settings.project)
    assert project_index.summary(helpers).summary.functions["save"].saves_object == "state"
    (project / "helpers.py").write_text("def save(state, path):\n    print(state, path)\n")
    index.linted(str(project / "train.py"), None)
    assert project_index.summary(helpers).summary.functions["save"].saves_object is None


def test_a_module_a_lint_only_looked_at_is_still_summarised_for_the_next_document(project) -> None:
    """`train.py`'s lint builds the summary of `helpers.py` (its save helper) and only looks at
    `setup.py` (its code for the pre-filter, `start`'s for the word `save`): `setup.py` is still
    to be summarised for a document that imports it."""
    from ckptlint.engine.analysis import lint_source

    (project / "setup.py").write_text("def start():\n    print('ready')\n")
    settings = load_settings(str(project))
    index = WorkspaceIndex()
    train = str(project / "train.py")
    text = "import torch\nfrom helpers import save\nfrom setup import start\n\nstart()\nsave(torch.nn.Linear(2, 2), 'm.pt')\n"
    view = index.view(settings.project, train)
    lint_source(text, train, settings, view=view)
    index.linted(train, view)
    assert {str(project / "helpers.py"), str(project / "setup.py")} <= set(view.reads)
    assert index.missing(settings.project, str(project / "eval.py"), "import setup\nimport helpers\n") == [str(project / "setup.py")]
