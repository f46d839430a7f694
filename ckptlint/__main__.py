"""`python -m ckptlint`: the same as the `ckptlint` console script."""

from ckptlint.cli import main

if __name__ == "__main__":
    main()
