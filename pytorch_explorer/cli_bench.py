"""`python -m pytorch_explorer bench`: speed figures (see docs/benchmarks.md)."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    """Add the top-level `bench` command."""
