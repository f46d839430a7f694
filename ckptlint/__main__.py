"""`python -m ckptlint`: the same as the `ckptlint` console script."""

from ckptlint.cli import run

if __name__ == "__main__":
    run()
