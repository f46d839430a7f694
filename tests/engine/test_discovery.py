"""File discovery: suffixes, default excludes, .gitignore, explicit paths, --force-exclude."""

from __future__ import annotations

import os

from support import settings

from ckptlint.engine.discovery import discover


def make(root, *paths: str) -> None:
    for path in paths:
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as handle:
            handle.write("x = 1\n")


def rel(root, found):
    return sorted(os.path.relpath(p, root).replace(os.sep, "/") for p in found)


def test_directories_give_py_and_pyi_and_default_excludes_apply(tmp_path) -> None:
    make(
        tmp_path,
        "train.py",
        "stubs/model.pyi",
        "notes.txt",
        "build/model_builder.py",  # `build` is not excluded
        ".venv/lib/x.py",
        "venv/x.py",
        "node_modules/x.py",
        "pkg/__pycache__/x.py",
        "lib/site-packages/x.py",
        ".git/hooks/x.py",
    )
    found = discover([str(tmp_path)], settings(root=str(tmp_path)))
    assert rel(tmp_path, found) == ["build/model_builder.py", "stubs/model.pyi", "train.py"]


def test_excludes_are_relative_to_the_project_root(tmp_path) -> None:
    project = tmp_path / "venv" / "project"  # a project that lives under a folder called venv
    make(project, "train.py")
    found = discover([str(project)], settings(root=str(project)))
    assert rel(project, found) == ["train.py"]


def test_gitignore_is_respected_and_can_be_turned_off(tmp_path) -> None:
    make(tmp_path, "train.py", "scratch/old.py", "data/gen.py", "data/keep.py")
    (tmp_path / ".gitignore").write_text("scratch/\n")
    (tmp_path / "data" / ".gitignore").write_text("*.py\n!keep.py\n")
    found = discover([str(tmp_path)], settings(root=str(tmp_path)))
    assert rel(tmp_path, found) == ["data/keep.py", "train.py"]
    found = discover([str(tmp_path)], settings({"respect-gitignore": False}, root=str(tmp_path)))
    assert rel(tmp_path, found) == ["data/gen.py", "data/keep.py", "scratch/old.py", "train.py"]


def test_extend_exclude_and_exclude(tmp_path) -> None:
    make(tmp_path, "train.py", "legacy/a.py", "venv/b.py")
    found = discover([str(tmp_path)], settings({"extend-exclude": ["legacy"]}, root=str(tmp_path)))
    assert rel(tmp_path, found) == ["train.py"]
    found = discover([str(tmp_path)], settings({"exclude": ["legacy"]}, root=str(tmp_path)))
    assert rel(tmp_path, found) == ["train.py", "venv/b.py"]  # `exclude` replaces the defaults


def test_explicit_paths_any_extension_and_force_exclude(tmp_path) -> None:
    make(tmp_path, "scripts/train", "venv/x.py")
    script, excluded = str(tmp_path / "scripts" / "train"), str(tmp_path / "venv" / "x.py")
    assert rel(tmp_path, discover([script, excluded], settings(root=str(tmp_path)))) == ["scripts/train", "venv/x.py"]
    forced = settings({"force-exclude": True}, root=str(tmp_path))
    assert rel(tmp_path, discover([script, excluded], forced)) == ["scripts/train"]


def test_missing_paths_are_kept_to_be_reported(tmp_path) -> None:
    missing = str(tmp_path / "nope.py")
    assert discover([missing], settings(root=str(tmp_path))) == [os.path.normpath(missing)]
