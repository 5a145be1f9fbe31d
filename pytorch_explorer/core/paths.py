"""Where the app keeps what it writes: `data_dir()`, which is $PTE_DATA_DIR, else data/ in the repository.

Datasets and their cache (digits.data) and the run store (runs) all live under it, so one variable moves
(or one folder wipes) everything the app has written.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    """Where datasets, downloads and runs live: $PTE_DATA_DIR, else data/ in the repository."""
    return Path(os.environ.get("PTE_DATA_DIR") or REPO_ROOT / "data")
