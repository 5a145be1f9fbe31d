"""The digits as a torch Dataset, a custom collate_fn, and the training split the page samples from.

`DigitsDataset` and `collate_digits` are written as a reader of the article would write them: the page
shows their source (inspect.getsource) in its "PyTorch code" expander, so what runs is what is shown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset

from pytorch_explorer.digits.data import split_index

RARE_DIGITS = (5, 6, 7, 8, 9)  # the digits an imbalanced training set keeps fewer of


class DigitsDataset(Dataset):
    """The digits as a Dataset: how many there are (__len__), and the i-th one (__getitem__)."""

    def __init__(self, images, labels):
        self.images = torch.tensor(np.asarray(images), dtype=torch.uint8)  # (N, 28, 28), a copy
        self.labels = torch.tensor(np.asarray(labels), dtype=torch.int64)  # (N,)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        # one sample: the image, its label, and its index (to see which samples a batch drew)
        return self.images[i], self.labels[i], i


def collate_digits(samples):
    """A list of samples -> one batch: images stacked, flattened to 784 and scaled to [0, 1] once per batch."""
    images, labels, indices = zip(*samples, strict=True)
    x = torch.stack(images).flatten(1).float() / 255
    return x, torch.stack(labels), torch.tensor(indices)


def imbalanced_rows(labels: np.ndarray, keep: float) -> np.ndarray:
    """The rows that stay when only the first `keep` share of each rare digit (5 to 9) is kept, in order.

    keep=1.0 keeps every row; each rare digit keeps at least one row.
    """
    if not 0.0 < keep <= 1.0:
        raise ValueError(f"the share of digits 5 to 9 kept must be in (0, 1], not {keep}")
    labels = np.asarray(labels)
    dropped = []
    for digit in RARE_DIGITS:
        rows = np.flatnonzero(labels == digit)
        dropped.append(rows[max(1, round(len(rows) * keep)):])
    return np.setdiff1d(np.arange(len(labels)), np.concatenate(dropped))


@dataclass
class TrainingDigits:
    """The training split an epoch samples from, and the size of the whole table it was cut from."""

    images: np.ndarray  # uint8 (n, 28, 28)
    labels: np.ndarray  # int64 (n,)
    csv_rows: int  # rows of the whole table (the article's train.shape[0]); the first 70 % are these

    def __len__(self) -> int:
        return len(self.labels)


def training_digits(images: np.ndarray, labels: np.ndarray, keep: float = 1.0,
                    val_fraction: float = 0.3) -> TrainingDigits:
    """The article's split of the digits (after keeping only `keep` of digits 5 to 9): the first 70 % train."""
    rows = imbalanced_rows(labels, keep)
    cut = split_index(len(rows), val_fraction)
    train = rows[:cut]
    return TrainingDigits(np.asarray(images)[train], np.asarray(labels, dtype=np.int64)[train], len(rows))


def describe_batch(dataset: DigitsDataset, indices: list[int], custom_collate: bool = True) -> list[dict[str, str]]:
    """What one batch of these indices holds after the collate_fn: each field's shape and dtype."""
    from torch.utils.data import default_collate

    samples = [dataset[i] for i in indices]
    batch = collate_digits(samples) if custom_collate else default_collate(samples)
    return [{"field": name, "shape": str(tuple(t.shape)), "dtype": str(t.dtype).replace("torch.", "")}
            for name, t in zip(("x (images)", "y (labels)", "index"), batch, strict=True)]
