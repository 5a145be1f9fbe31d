"""What a runnable cell of the article is, and what running it gives back.

A cell holds the article's code as printed (``original``) and, where today's libraries cannot run
that, the minimal code that does (``modern``); ``diff`` shows one against the other. Its function
does exactly what the shown code does, printing into a :class:`Printer` (never into ``sys.stdout``:
other sessions share the process) and keeping the cell's variables in a plain dict, the namespace a
notebook would have. A test runs the shown code and checks it prints and defines the same.

Output follows a notebook's rule: what the code prints, then the repr of the last line when that
line is an expression (``a + b`` shows ``tensor([5.])``).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

ROOT_PLACEHOLDER = "ARTICLE_ROOT"  # in a case study cell's code: the folder it runs in


class Printer:
    """Collects what a cell prints, formatted as ``print`` would, and a notebook's last-line display."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def print(self, *args: Any, sep: str = " ", end: str = "\n") -> None:
        self.parts.append(sep.join(str(a) for a in args) + end)

    def show(self, value: Any) -> None:
        """The notebook's display of a cell's last expression: its repr (nothing for None)."""
        if value is not None:
            self.parts.append(repr(value) + "\n")

    def text(self) -> str:
        return "".join(self.parts)


@dataclass(frozen=True)
class Run:
    """One cell's run: the namespace it reads and writes, where it prints, the case study's folder."""

    ns: dict[str, Any]
    out: Printer
    root: Path | None = None


@dataclass(frozen=True)
class Cell:
    """One snippet of the article, runnable."""

    id: str
    original: str  # the article's code, as printed (indentation restored)
    run: Callable[[Run], None]  # does what `code` does
    modern: str | None = None  # today's code, when the original cannot run as written (or needs a seed)
    defines: tuple[str, ...] = ()  # the names it leaves for later cells (a test compares them)
    needs: tuple[str, ...] = ()  # cells whose names it uses, run first, in this order
    article_output: str = ""  # what the article printed (PyTorch 0.3, 2018)
    image: str = ""  # a name in the namespace holding an image to draw (the notebook's pylab.show())
    language: str = "python"  # how to highlight the original ("bash" for a shell command)
    changes: tuple[str, ...] = field(default=())  # one line per change from the original, for the page

    @property
    def as_written(self) -> bool:
        """Does it run exactly as the article printed it?"""
        return self.modern is None

    def code(self, root: Path | None = None) -> str:
        """The code that runs (today's, or the original), with the case study's folder filled in."""
        code = self.original if self.modern is None else self.modern
        return code.replace(ROOT_PLACEHOLDER, repr(str(root)) if root is not None else "'data'")

    def diff(self, root: Path | None = None) -> str:
        """The article's code against today's, every line shown: '-' the article's, '+' today's."""
        if self.modern is None:
            return ""
        old, new = self.original.splitlines(), self.code(root).splitlines()
        lines = difflib.unified_diff(old, new, "the article (2018)", "today (runs here)",
                                     lineterm="", n=max(len(old), len(new)))
        return "\n".join(line for line in lines if not line.startswith("@@"))


@dataclass(frozen=True)
class CellResult:
    """What a page shows after a run: the printed text, an image if the cell draws one, its variables."""

    text: str
    image: np.ndarray | None = None
    variables: dict[str, str] = field(default_factory=dict)


def describe(value: Any) -> str:
    """A variable in a few words: type, dtype, shape ('float32 array (3150, 784)')."""
    if isinstance(value, torch.Tensor):
        return f"tensor {str(value.dtype).removeprefix('torch.')} {tuple(value.shape)}"
    if isinstance(value, np.ndarray):
        return f"{value.dtype} array {value.shape}"
    if hasattr(value, "shape") and hasattr(value, "columns"):  # a pandas DataFrame
        return f"DataFrame, {value.shape[0]} rows x {value.shape[1]} columns ({', '.join(map(str, value.columns))})"
    if isinstance(value, torch.nn.Module):
        return f"{type(value).__name__}, {sum(p.numel() for p in value.parameters()):,} parameters"
    if isinstance(value, (int, float, str, bool)):
        text = repr(value)
        return text if len(text) <= 80 else text[:77] + "..."
    return type(value).__name__


def shorten(text: str, head: int = 20, tail: int = 20) -> tuple[str, int]:
    """A long output cut to its first and last lines: (text, lines left out)."""
    lines = text.splitlines()
    if len(lines) <= head + tail + 1:
        return text, 0
    left_out = len(lines) - head - tail
    return "\n".join([*lines[:head], f"... ({left_out:,} more lines) ...", *lines[-tail:]]), left_out
