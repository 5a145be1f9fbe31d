"""The page's settings as one value, checked, with the article's defaults (batch 128, seed 128)."""

from __future__ import annotations

from dataclasses import dataclass

from pytorch_explorer.loading.samplers import SAMPLERS, SamplerSpec, check_batch_size

ARTICLE_BATCH_SIZE = 128
ARTICLE_SEED = 128
KEEP_CHOICES = (1.0, 0.5, 0.2, 0.1, 0.05)  # share of digits 5 to 9 kept: 1.0 is the table as it is


@dataclass(frozen=True)
class LoaderSettings:
    """What one epoch is drawn with: the sampler, the DataLoader's arguments, the data, the seed."""

    sampler: str = "random"
    batch_size: int = ARTICLE_BATCH_SIZE
    drop_last: bool = False
    num_workers: int = 0
    custom_collate: bool = True
    seed: int = ARTICLE_SEED
    keep: float = 1.0  # share of digits 5 to 9 kept (below 1: an imbalanced training set)
    subset_fraction: float = 0.5  # SubsetRandomSampler: the first this share of the indices

    def __post_init__(self) -> None:
        if self.sampler not in SAMPLERS:
            raise ValueError(f"unknown sampler {self.sampler!r}: choose one of {', '.join(SAMPLERS)}")
        check_batch_size(self.batch_size)
        if not 0 <= self.num_workers <= 16:
            raise ValueError(f"num_workers must be between 0 and 16, not {self.num_workers}")
        if not 0 <= self.seed < 2**63:
            raise ValueError(f"the seed must be a whole number from 0, not {self.seed}")
        if not 0.0 < self.keep <= 1.0:
            raise ValueError(f"the share of digits 5 to 9 kept must be in (0, 1], not {self.keep}")
        SamplerSpec(self.sampler, self.subset_fraction)  # checks the subset's share

    def spec(self, csv_rows: int | None = None) -> SamplerSpec:
        """The sampler part, with the size of the whole CSV the article counts its steps from."""
        return SamplerSpec(self.sampler, self.subset_fraction, csv_rows)
