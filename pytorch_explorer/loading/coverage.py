"""What one epoch's batches covered: how often each sample was drawn, what theory expects, class balance.

Drawing `draws` indices with replacement, each uniformly from n, leaves a given sample unseen with
probability (1 - 1/n)^draws; with draws = n that is close to e^-1 ≈ 0.368. The article draws
int(csv_rows / batch_size) * batch_size indices this way, so about a quarter to a third of its training
set is never seen in an epoch, while a permutation (RandomSampler without replacement) sees each once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from pytorch_explorer.loading.samplers import (SamplerSpec, class_balancing_weights, draws_per_epoch,
                                              subset_indices)

CLASSES = 10


@dataclass(frozen=True)
class Coverage:
    """How one epoch's draws fell on the n samples."""

    n: int
    batches: int
    draws: int
    counts: np.ndarray  # (n,) times each sample was drawn
    expected_unseen: float | None  # the expected fraction never drawn, when theory gives one

    @property
    def unseen(self) -> int:
        return int((self.counts == 0).sum())

    @property
    def unseen_fraction(self) -> float:
        return self.unseen / self.n

    @property
    def repeated_draws(self) -> int:
        """Draws of a sample already drawn earlier in the epoch (0 for a permutation)."""
        return self.draws - int((self.counts > 0).sum())

    def times_seen_table(self) -> dict[int, int]:
        """times drawn -> number of samples drawn that many times (0 included)."""
        values, how_many = np.unique(self.counts, return_counts=True)
        return {int(v): int(c) for v, c in zip(values, how_many, strict=True)}


def seen_counts(batches: Sequence[np.ndarray], n: int) -> np.ndarray:
    """(n,) how many times each index appears in the batches."""
    if not batches:
        return np.zeros(n, dtype=np.int64)
    return np.bincount(np.concatenate(batches), minlength=n)


def expected_unseen_fraction(spec: SamplerSpec, labels: np.ndarray, batch_size: int, drop_last: bool) -> float:
    """The expected share of the n samples one epoch never draws.

    With replacement: mean over samples of (1 - p_i)^draws (p_i = 1/n, or the weighted sampler's share);
    without: the rows the sampler never offers (outside the subset) or drop_last cuts off, on average.
    """
    n = len(labels)
    draws = draws_per_epoch(spec, n, batch_size, drop_last)
    if spec.kind in ("replacement", "article"):
        return float((1.0 - 1.0 / n) ** draws)
    if spec.kind == "weighted":
        weights = class_balancing_weights(torch.as_tensor(np.asarray(labels), dtype=torch.int64)).numpy()
        p = weights / weights.sum()
        return float(np.mean((1.0 - p) ** draws))
    offered = len(subset_indices(n, spec.subset_fraction)) if spec.kind == "subset" else n
    return 1.0 - min(draws, offered) / n


def coverage_stats(batches: Sequence[np.ndarray], n: int, expected_unseen: float | None = None) -> Coverage:
    """How the batches of one epoch covered the n samples."""
    counts = seen_counts(batches, n)
    return Coverage(n=n, batches=len(batches), draws=int(counts.sum()), counts=counts, expected_unseen=expected_unseen)


def class_counts_per_batch(batches: Sequence[np.ndarray], labels: np.ndarray, classes: int = CLASSES) -> np.ndarray:
    """(batches, classes): how many samples of each class each batch holds."""
    labels = np.asarray(labels)
    return np.stack([np.bincount(labels[b], minlength=classes)[:classes] for b in batches]) if batches else \
        np.zeros((0, classes), dtype=np.int64)


def dataset_shares(labels: np.ndarray, classes: int = CLASSES) -> np.ndarray:
    """(classes,) each class's share of the data."""
    return np.bincount(np.asarray(labels), minlength=classes)[:classes] / max(len(labels), 1)


def class_shares(batches: Sequence[np.ndarray], labels: np.ndarray, classes: int = CLASSES) -> np.ndarray:
    """(classes,) each class's share of all the epoch's draws."""
    counts = class_counts_per_batch(batches, labels, classes).sum(axis=0)
    return counts / max(int(counts.sum()), 1)


def balance_summary(batches: Sequence[np.ndarray], labels: np.ndarray, classes: int = CLASSES) -> dict[str, float]:
    """The rarest and commonest class's share of the dataset and of the epoch's draws (1.0 / 10 is balanced)."""
    data = dataset_shares(labels, classes)
    drawn = class_shares(batches, labels, classes)
    present = data > 0
    return {"data_min": float(data[present].min()), "data_max": float(data.max()),
            "drawn_min": float(drawn[present].min()), "drawn_max": float(drawn.max())}
