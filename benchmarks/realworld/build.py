"""Rebuild the real-code set: the `.py` files of the pinned releases in `manifest.json`.

Each source is one release from the package index, downloaded with pip
(`--no-deps`, the wheel, so nothing is built) and checked against the
archive's sha256 in the manifest. All its `.py` files are extracted into
`corpus/<project>-<version>/` exactly as they sit in the wheel (the package
folders whole, so imports resolve as they would in site-packages). Then every
labelled file is checked against its sha256, so the labels' line numbers stay
valid. Usage:

    python benchmarks/realworld/build.py [--dest DIR] [--project NAME ...]

Needs `pip download` access to the package index; the corpus is gitignored and
never committed.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from typing import Iterable, List

HERE = os.path.dirname(os.path.abspath(__file__))
MANIFEST = os.path.join(HERE, "manifest.json")
CORPUS = os.path.join(HERE, "corpus")


def load_manifest(path: str = MANIFEST) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def source_dir(corpus: str, source: dict) -> str:
    """Where a source's files live: `<corpus>/<project>-<version>`."""
    return os.path.join(corpus, f"{source['project']}-{source['version']}")


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(source: dict, into: str) -> str:
    """The source's wheel, downloaded by pip into `into`, its sha256 checked."""
    requirement = f"{source['project']}=={source['version']}"
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "-d", into]
    subprocess.run(command + list(source.get("pip_args", ())) + [requirement], check=True)
    path = os.path.join(into, source["archive"])
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{requirement}: pip did not fetch {source['archive']}")
    digest = sha256_of(path)
    if digest != source["archive_sha256"]:
        raise ValueError(f"{source['archive']}: sha256 {digest}, manifest says {source['archive_sha256']}")
    return path


def extract(archive: str, dest: str) -> int:
    """Extract the archive's `.py` files under `dest`; the number extracted."""
    with zipfile.ZipFile(archive) as wheel:
        members = [name for name in wheel.namelist() if name.endswith(".py")]
        for member in members:
            wheel.extract(member, dest)
    return len(members)


def verify(corpus: str, source: dict) -> List[str]:
    """Problems with the source's labelled files (missing, or changed since labelling)."""
    problems = []
    root = source_dir(corpus, source)
    for entry in source["files"]:
        path = os.path.join(root, entry["path"])
        if not os.path.isfile(path):
            problems.append(f"{path}: missing")
        elif sha256_of(path) != entry["sha256"]:
            problems.append(f"{path}: sha256 differs from the manifest (labels' lines may be wrong)")
    return problems


def build(sources: Iterable[dict], corpus: str) -> List[str]:
    problems: List[str] = []
    with tempfile.TemporaryDirectory() as downloads:
        for source in sources:
            target = source_dir(corpus, source)
            name = f"{source['project']}=={source['version']}"
            if os.path.isdir(target) and glob.glob(os.path.join(target, "**", "*.py"), recursive=True):
                print(f"have {name}")
            else:
                count = extract(download(source, downloads), target)
                print(f"{name}: {count} files")
            problems += verify(corpus, source)
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dest", default=CORPUS, help="where the set goes (default: %(default)s)")
    parser.add_argument("--manifest", default=MANIFEST)
    parser.add_argument("--project", action="append", help="build only this project (repeatable)")
    args = parser.parse_args()
    sources = load_manifest(args.manifest)["sources"]
    if args.project:
        sources = [source for source in sources if source["project"] in args.project]
    problems = build(sources, args.dest)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
