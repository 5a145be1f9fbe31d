"""The sampler choices and the batches of one epoch, deterministic for a seed.

Every sampler gets its own `torch.Generator` seeded with the page's seed (nothing global is seeded), and
`epoch_indices` batches it with `BatchSampler`, exactly what a DataLoader does with `sampler=` and
`batch_size=`: the page's code, run with the same seed, draws the same batches. "article" is the
article's `batch_creator`: `rng.choice(n, batch_size)` (with replacement), `int(train.shape[0] /
batch_size)` steps counted over the whole CSV, not the 70 % training split.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
                              WeightedRandomSampler)

from pytorch_explorer.core.errors import ExplorerError

SAMPLERS = ("sequential", "random", "replacement", "weighted", "subset", "article")
SAMPLER_TITLES = {
    "sequential": "SequentialSampler (shuffle=False)",
    "random": "RandomSampler (shuffle=True)",
    "replacement": "RandomSampler(replacement=True)",
    "weighted": "WeightedRandomSampler (balances the classes)",
    "subset": "SubsetRandomSampler (a subset of the indices)",
    "article": "The article's rng.choice batches (faithful, with its defects)",
}
MAX_BATCH_SIZE = 100_000  # bigger is refused: nobody means it, and the page says so


class EmptyEpochError(ExplorerError, ValueError):
    """These settings give an epoch with no batch at all."""


@dataclass(frozen=True)
class SamplerSpec:
    """Which sampler, and what it needs besides the labels: the subset's share, the article's CSV size."""

    kind: str = "random"
    subset_fraction: float = 0.5  # subset: the first this share of the indices
    csv_rows: int | None = None  # article: rows of the whole CSV its steps are counted from (None: the n rows)

    def __post_init__(self) -> None:
        if self.kind not in SAMPLERS:
            raise ValueError(f"unknown sampler {self.kind!r}: choose one of {', '.join(SAMPLERS)}")
        if not 0.0 < self.subset_fraction <= 1.0:
            raise ValueError(f"the subset's share must be in (0, 1], not {self.subset_fraction}")

    @property
    def with_replacement(self) -> bool:
        """Does one epoch draw each index independently (so some twice, some never)?"""
        return self.kind in ("replacement", "weighted", "article")


def check_batch_size(batch_size: int) -> int:
    """batch_size itself, or a ValueError that says what to do."""
    if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool):
        raise ValueError(f"the batch size must be a whole number, not {batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"the batch size must be at least 1, not {batch_size}")
    if batch_size > MAX_BATCH_SIZE:
        raise ValueError(f"a batch size of {batch_size:,} is more than this page handles ({MAX_BATCH_SIZE:,}): "
                         "choose a smaller one (the article used 128)")
    return int(batch_size)


def subset_indices(n: int, fraction: float) -> list[int]:
    """The indices SubsetRandomSampler shuffles: the first `fraction` of the n rows (at least one)."""
    return list(range(max(1, int(n * fraction))))


def class_balancing_weights(labels: torch.Tensor) -> torch.Tensor:
    """One weight per sample, 1 / (count of its class): every class is then drawn equally often."""
    class_count = torch.bincount(labels, minlength=10)
    return 1.0 / class_count.double()[labels]


def build_sampler(spec: SamplerSpec, labels: np.ndarray | torch.Tensor, generator: torch.Generator) -> Sampler:
    """The torch sampler for `spec` over len(labels) samples, drawing from `generator`."""
    labels = torch.as_tensor(np.asarray(labels), dtype=torch.int64)
    n = len(labels)
    if spec.kind == "sequential":
        return SequentialSampler(range(n))
    if spec.kind == "random":
        return RandomSampler(range(n), generator=generator)
    if spec.kind == "replacement":
        return RandomSampler(range(n), replacement=True, generator=generator)
    if spec.kind == "weighted":
        return WeightedRandomSampler(class_balancing_weights(labels), num_samples=n, replacement=True,
                                     generator=generator)
    if spec.kind == "subset":
        return SubsetRandomSampler(subset_indices(n, spec.subset_fraction), generator=generator)
    raise ValueError("the article draws its batches with numpy, not a torch sampler: use article_batches")


def article_steps(csv_rows: int, batch_size: int) -> int:
    """The article's steps per epoch: total_batch = int(train.shape[0] / batch_size), the whole CSV."""
    return int(csv_rows / batch_size)


def article_batches(n: int, csv_rows: int, batch_size: int, seed: int) -> list[np.ndarray]:
    """The article's batches of one epoch, as its batch_creator draws them (numpy's RandomState)."""
    rng = np.random.RandomState(seed)
    total_batch = article_steps(csv_rows, batch_size)  # DEFECT: the whole CSV's rows, not the split's
    return [rng.choice(n, batch_size) for _ in range(total_batch)]  # DEFECT: drawn with replacement


def epoch_indices(spec: SamplerSpec, labels: np.ndarray | torch.Tensor, batch_size: int, seed: int,
                  drop_last: bool = False, lang: str = "en") -> list[np.ndarray]:
    """The batches of one epoch (each an int64 array of dataset indices), the same for the same seed.

    Raises EmptyEpochError when the settings leave no batch (drop_last with a batch bigger than the data, or
    the article's loop with a batch bigger than its CSV). `lang` is no longer read (the page shows the error
    with `exc.message(lang)`); it goes once the page stops passing it.
    """
    batch_size, n = check_batch_size(batch_size), len(labels)
    if n == 0:
        raise EmptyEpochError("There are no samples to draw from.")
    if spec.kind == "article":
        csv_rows = spec.csv_rows or n
        batches = article_batches(n, csv_rows, batch_size, seed)
        if not batches:
            raise EmptyEpochError(
                "The article's loop runs int({rows} / {batch}) = 0 steps per epoch: with a batch bigger than its "
                "CSV it never trains. Choose a batch size below the number of rows.", rows=f"{csv_rows:,}",
                batch=f"{batch_size:,}")
        return [np.asarray(b, dtype=np.int64) for b in batches]
    generator = torch.Generator().manual_seed(seed)
    sampler = build_sampler(spec, labels, generator)
    batches = [np.asarray(b, dtype=np.int64) for b in BatchSampler(sampler, batch_size, drop_last)]
    if not batches:
        raise EmptyEpochError(
            "drop_last=True drops every batch: the sampler gives {indices} indices, fewer than one batch of "
            "{batch}. Choose a smaller batch size, or untick drop_last.", indices=f"{len(sampler):,}",
            batch=f"{batch_size:,}")
    return batches


def draws_per_epoch(spec: SamplerSpec, n: int, batch_size: int, drop_last: bool) -> int:
    """How many indices one epoch draws (without drawing them)."""
    if spec.kind == "article":
        return article_steps(spec.csv_rows or n, batch_size) * batch_size
    drawn = len(subset_indices(n, spec.subset_fraction)) if spec.kind == "subset" else n
    return (drawn // batch_size) * batch_size if drop_last else drawn


def steps_per_epoch(spec: SamplerSpec, n: int, batch_size: int, drop_last: bool) -> int:
    """Batches in one epoch (the article's count for "article")."""
    if spec.kind == "article":
        return article_steps(spec.csv_rows or n, batch_size)
    drawn = len(subset_indices(n, spec.subset_fraction)) if spec.kind == "subset" else n
    return drawn // batch_size if drop_last else math.ceil(drawn / batch_size)
