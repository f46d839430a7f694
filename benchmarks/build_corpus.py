"""Build the benchmark corpus: the `.py` files of pinned releases from the package index.

Real PyTorch code that no one here wrote, most of it library code that never
checkpoints: the case where ckptlint must be cheap. Usage:

    python benchmarks/build_corpus.py [--dest benchmarks/corpus] [--with-transformers]

Needs `pip download` access to the package index; the corpus is gitignored.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import zipfile

PINNED = (
    "timm==1.0.15",
    "lightning==2.5.1",
    "accelerate==1.6.0",
    "diffusers==0.33.1",
)
LARGE = ("transformers==4.51.3",)  # ~1M lines: opt-in, it triples the run time

HERE = os.path.dirname(os.path.abspath(__file__))


def download(requirement: str, into: str) -> str:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "-d", into, requirement],
        check=True,
    )
    name = requirement.split("==")[0].replace("-", "_").lower()
    for file in os.listdir(into):
        if file.lower().startswith(name) and file.endswith(".whl"):
            return os.path.join(into, file)
    raise FileNotFoundError(f"no wheel for {requirement}")


def extract(wheel: str, dest: str) -> int:
    count = 0
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.namelist():
            if member.endswith(".py"):
                archive.extract(member, dest)
                count += 1
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dest", default=os.path.join(HERE, "corpus"))
    parser.add_argument("--with-transformers", action="store_true")
    args = parser.parse_args()
    requirements = PINNED + (LARGE if args.with_transformers else ())
    with tempfile.TemporaryDirectory() as downloads:
        for requirement in requirements:
            target = os.path.join(args.dest, requirement.replace("==", "-"))
            if os.path.isdir(target):
                print(f"have {requirement}")
                continue
            files = extract(download(requirement, downloads), target)
            print(f"{requirement}: {files} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
