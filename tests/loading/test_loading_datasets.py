"""DigitsDataset, the custom collate_fn's shapes, the imbalanced split."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, SequentialSampler

from pytorch_explorer.loading.datasets import (DigitsDataset, collate_digits, describe_batch, imbalanced_rows,
                                              training_digits)
from pytorch_explorer.loading.settings import LoaderSettings


def fake_digits(n: int = 50) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), np.arange(n) % 10


def test_dataset_has_a_length_and_gives_the_ith_sample():
    images, labels = fake_digits()
    dataset = DigitsDataset(images, labels)
    assert len(dataset) == 50
    image, label, index = dataset[7]
    assert image.shape == (28, 28) and image.dtype == torch.uint8 and torch.equal(image, torch.from_numpy(images[7]))
    assert label.item() == 7 and index == 7


def test_custom_collate_flattens_and_scales_once_per_batch():
    images, labels = fake_digits()
    loader = DataLoader(DigitsDataset(images, labels), batch_size=16, sampler=SequentialSampler(range(50)),
                        collate_fn=collate_digits)
    shapes = [(tuple(x.shape), tuple(y.shape), tuple(i.shape)) for x, y, i in loader]
    assert shapes == [((16, 784), (16,), (16,))] * 3 + [((2, 784), (2,), (2,))]
    x, y, index = next(iter(loader))
    assert x.dtype == torch.float32 and 0.0 <= x.min() and x.max() <= 1.0
    assert torch.allclose(x[3], torch.from_numpy(images[3]).flatten().float() / 255)
    assert y.dtype == torch.int64 and index.tolist() == list(range(16))


def test_describe_batch_custom_and_default_collate():
    dataset = DigitsDataset(*fake_digits())
    assert describe_batch(dataset, [0, 1, 2]) == [
        {"field": "x (images)", "shape": "(3, 784)", "dtype": "float32"},
        {"field": "y (labels)", "shape": "(3,)", "dtype": "int64"},
        {"field": "index", "shape": "(3,)", "dtype": "int64"}]
    default = describe_batch(dataset, [0, 1, 2], custom_collate=False)
    assert default[0] == {"field": "x (images)", "shape": "(3, 28, 28)", "dtype": "uint8"}


def test_imbalanced_rows_keep_the_first_share_of_digits_5_to_9():
    labels = np.repeat(np.arange(10), 20)
    rows = imbalanced_rows(labels, 0.1)
    counts = np.bincount(labels[rows], minlength=10)
    assert counts.tolist() == [20] * 5 + [2] * 5
    assert np.all(np.diff(rows) > 0)  # in order
    assert np.array_equal(imbalanced_rows(labels, 1.0), np.arange(200))
    assert np.bincount(labels[imbalanced_rows(labels, 0.01)], minlength=10)[5:].tolist() == [1] * 5
    with pytest.raises(ValueError, match="5 to 9"):
        imbalanced_rows(labels, 0.0)


def test_training_digits_are_the_first_70_percent_of_the_kept_rows():
    images, labels = fake_digits(100)
    data = training_digits(images, labels, keep=1.0)
    assert len(data) == 70 and data.csv_rows == 100 and np.array_equal(data.images, images[:70])
    small = training_digits(images, labels, keep=0.5)
    assert small.csv_rows == 75 and len(small) == 52


def test_settings_refuse_nonsense():
    with pytest.raises(ValueError, match="batch size"):
        LoaderSettings(batch_size=0)
    with pytest.raises(ValueError, match="unknown sampler"):
        LoaderSettings(sampler="magic")
    with pytest.raises(ValueError, match="5 to 9"):
        LoaderSettings(keep=2.0)
