"""The hostile-input suite's one tool: `bounded(label)` times a case and measures its peak memory growth.

Each case must end in well under MAX_SECONDS and grow the process's peak RSS by under MAX_MB (the huge
thing is never allocated to prove it is huge). With $PTE_HOSTILE_REPORT set, every measurement is
appended to that file as one JSON line (scripts/hostile_inputs.py reads it and prints the worst).
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

MAX_SECONDS = 5.0
MAX_MB = 300.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


@contextmanager
def _bounded(label: str, seconds: float = MAX_SECONDS, mb: float = MAX_MB) -> Iterator[None]:
    before, started = peak_rss_mb(), time.perf_counter()
    yield
    took, grew = time.perf_counter() - started, peak_rss_mb() - before
    if path := os.environ.get("PTE_HOSTILE_REPORT"):
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps({"case": label, "seconds": round(took, 4), "peak_mb": round(grew, 1)}) + "\n")
    assert took < seconds, f"{label}: {took:.1f} s"
    assert grew < mb, f"{label}: peak RSS grew {grew:.0f} MB"


@pytest.fixture
def bounded():  # noqa: ANN201 - a context manager factory
    return _bounded
