"""The code the page shows runs, and draws the batches the package draws for the same settings and seed."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest

from pytorch_explorer.digits.data import load_digits
from pytorch_explorer.loading.code import loading_code
from pytorch_explorer.loading.datasets import training_digits
from pytorch_explorer.loading.samplers import SamplerSpec, epoch_indices
from pytorch_explorer.loading.settings import LoaderSettings


@pytest.fixture(scope="module")
def digits():
    return load_digits("bundled")


def run_code(settings: LoaderSettings) -> tuple[dict, str]:
    namespace = {"__name__": "__main__"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(loading_code(settings), "<page code>", "exec"), namespace)  # noqa: S102 - a test runs the shown code
    return namespace, out.getvalue()


def package_batches(digits, settings: LoaderSettings, kind: str | None = None) -> list[np.ndarray]:
    data = training_digits(digits.images, digits.labels, settings.keep)
    spec = SamplerSpec(kind or settings.sampler, settings.subset_fraction, data.csv_rows)
    drop_last = settings.drop_last and (kind or settings.sampler) != "article"
    return epoch_indices(spec, data.labels, settings.batch_size, settings.seed, drop_last)


def same(shown: list, package: list[np.ndarray]) -> bool:
    return len(shown) == len(package) and all(np.array_equal(np.asarray(a), b) for a, b in zip(shown, package, strict=True))


@pytest.mark.parametrize("settings", [
    LoaderSettings(),
    LoaderSettings(sampler="sequential", batch_size=100, drop_last=True),
    LoaderSettings(sampler="replacement", batch_size=64, seed=7),
    LoaderSettings(sampler="weighted", keep=0.1, batch_size=256, custom_collate=False),
    LoaderSettings(sampler="subset", subset_fraction=0.3, batch_size=50, drop_last=True, seed=3),
], ids=["random", "sequential-drop-last", "replacement", "weighted-imbalanced", "subset"])
def test_shown_code_draws_the_packages_batches(digits, settings):
    namespace, printed = run_code(settings)
    assert same(namespace["batches"], package_batches(digits, settings))
    assert "never drawn this epoch" in printed
    x = namespace["x"]
    assert tuple(x.shape[1:]) == ((784,) if settings.custom_collate else (28, 28))


def test_shown_code_of_the_article_mode_draws_its_batches_then_does_it_right(digits):
    settings = LoaderSettings(sampler="article")
    namespace, printed = run_code(settings)
    assert len(namespace["batches"]) == 39
    assert same(namespace["batches"], package_batches(digits, settings))
    assert same(namespace["right_batches"], package_batches(digits, settings, kind="random"))
    assert "article: 39 steps" in printed and "never drawn this epoch: 0.0%" in printed


def test_shown_code_with_worker_processes_draws_the_same_batches(digits):
    settings = LoaderSettings(sampler="random", batch_size=500, num_workers=1)
    namespace, _ = run_code(settings)
    assert same(namespace["batches"], package_batches(digits, settings))


def test_code_follows_the_settings():
    code = loading_code(LoaderSettings(sampler="weighted", keep=0.2, num_workers=2, custom_collate=False, seed=5))
    assert "WeightedRandomSampler(weights" in code and "keep = 0.2" in code and "num_workers=2" in code
    assert "collate_fn=None" in code and "def collate_digits" not in code and "manual_seed(5)" in code
    assert "class DigitsDataset(Dataset):" in code and "def __getitem__(self, i):" in code
    assert "# DEFECT" in loading_code(LoaderSettings(sampler="article"))
