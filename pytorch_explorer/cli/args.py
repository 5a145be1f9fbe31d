"""Argument types shared by the command families: argparse prints their message (exit 2), never a traceback."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def whole_number(low: int, high: int, what: str = "the seed") -> Callable[[str], int]:
    """An argparse type: a whole number from low to high (a huge one is refused in words, not an overflow)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{what} must be between {low} and {high}, not {text[:40]}")
        return value

    return parse
