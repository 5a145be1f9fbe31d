"""`python -m pytorch_explorer ...`: see pytorch_explorer.cli."""

from pytorch_explorer.cli import main

if __name__ == "__main__":  # importing the module (a test reading the package's modules) runs nothing
    raise SystemExit(main())
