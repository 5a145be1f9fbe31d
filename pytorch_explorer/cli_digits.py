"""Command-line actions for the digits commands (see pytorch_explorer.cli)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add this module's actions to the given subparsers (each sets func=handler)."""
