"""Hidden features (the last nn.Linear's input, for an MLP and a CNN), 2-D maps deterministic for a seed, and
the map code the page shows reproducing them."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_limits
from torch import nn

from pytorch_explorer.compare import compute_maps, embed_2d, embedding_steps, hidden_features, split_digits, subset_indices
from pytorch_explorer.compare import classification_metrics, predict_torch
from pytorch_explorer.compare.code import map_code, torch_metrics_code
from pytorch_explorer.digits.data import load_digits
from pytorch_explorer.digits.models import MLPConfig, build_mlp


class SmallCNN(nn.Module):
    """A CNN that takes the flattened 784 input, as every digit model does; its hidden features are 8*7*7 wide."""

    def __init__(self) -> None:
        super().__init__()
        self.classifier = nn.Linear(32, 10)  # registered first, called last: the hook must follow the calls
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.squeeze = nn.Linear(4 * 14 * 14, 32)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.max_pool2d(torch.relu(self.conv(x.reshape(-1, 1, 28, 28))), 2)
        return torch.relu(self.squeeze(x.flatten(1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


@pytest.fixture(scope="module", autouse=True)
def one_thread(one_torch_thread):
    """Results, not speed: one BLAS/OpenMP thread (t-SNE's OpenMP threads crawl on 2 cores shared by many)."""
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def split():
    return split_digits(load_digits("bundled"))


@pytest.fixture
def inputs():
    return np.random.default_rng(1).random((37, 784), dtype=np.float32)


def test_an_mlps_hidden_features_are_its_last_hidden_layer(inputs):
    torch.manual_seed(0)
    model = build_mlp(MLPConfig(hidden=12, depth=2))
    features = hidden_features(model, inputs, batch=10)
    with torch.no_grad():
        expected = model[:4](torch.from_numpy(inputs)).numpy()  # Linear, ReLU, Linear, ReLU
    assert features.shape == (37, 12)
    np.testing.assert_allclose(features, expected, rtol=1e-6, atol=1e-6)
    assert not any(m._forward_hooks for m in model.modules())  # the hooks are gone


def test_a_cnns_hidden_features_are_what_its_classifier_reads(inputs):
    torch.manual_seed(0)
    model = SmallCNN().train()
    features = hidden_features(model, inputs, batch=16)
    with torch.no_grad():
        expected = model.features(torch.from_numpy(inputs)).numpy()
    assert features.shape == (37, 32)
    np.testing.assert_allclose(features, expected, rtol=1e-6, atol=1e-6)
    assert model.training and not any(m._forward_hooks for m in model.modules())


def test_a_model_without_a_linear_layer_is_refused(inputs):
    model = nn.Sequential(nn.Unflatten(1, (1, 28, 28)), nn.Conv2d(1, 10, 28), nn.Flatten())
    with pytest.raises(ValueError, match="no nn.Linear"):
        hidden_features(model, inputs)


def test_subsets_are_sorted_distinct_capped_and_seeded():
    a = subset_indices(1500, 100, seed=3)
    assert len(a) == len(set(a)) == 100 and np.all(np.diff(a) > 0) and a.max() < 1500
    np.testing.assert_array_equal(a, subset_indices(1500, 100, seed=3))
    assert not np.array_equal(a, subset_indices(1500, 100, seed=4))
    np.testing.assert_array_equal(subset_indices(80, 100, seed=3), np.arange(80))


@pytest.mark.parametrize("method", ["PCA", "t-SNE"])
def test_an_embedding_has_two_columns_and_is_deterministic_for_a_seed(method, split):
    x = split.x_val[:120]
    first, again = embed_2d(x, method, seed=5), embed_2d(x, method, seed=5)
    assert first.shape == (120, 2) and np.isfinite(first).all()
    np.testing.assert_array_equal(first, again)


def test_bad_map_settings_are_refused(split):
    with pytest.raises(ValueError, match="PCA or t-SNE"):
        embed_2d(split.x_val[:20], "UMAP")
    with pytest.raises(ValueError, match="at least 5"):
        embed_2d(split.x_val[:3], "PCA")
    with pytest.raises(ValueError, match="digits"):
        list(embedding_steps(split, None, "PCA", points=10**9))


def test_maps_without_and_with_a_model(split):
    raw = compute_maps(split, None, "PCA", points=150, seed=2)
    assert raw.pixels.shape == (150, 2) and raw.hidden is None and raw.predictions is None
    assert not raw.mistakes.any()
    np.testing.assert_array_equal(raw.labels, split.y_val[raw.indices])
    torch.manual_seed(0)
    model = SmallCNN()
    events = list(embedding_steps(split, model, "PCA", points=150, seed=2))
    assert [e.stage for e in events] == ["pixels", "features", "hidden", "done"]
    maps = events[-1].maps
    assert maps.hidden.shape == (150, 2) and maps.hidden_units == 32
    np.testing.assert_array_equal(maps.pixels, raw.pixels)  # the same digits, the same raw map
    assert maps.mistakes.sum() == (maps.predictions != maps.labels).sum() > 0  # an untrained CNN errs


def test_the_shown_map_code_reproduces_the_maps(split):
    torch.manual_seed(0)
    model = build_mlp(MLPConfig(hidden=16))
    maps = compute_maps(split, model, "PCA", points=200, seed=9)
    namespace = {"model": model}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(map_code("PCA", 200, 9, with_model=True), namespace)  # noqa: S102 - the page's code, as a learner runs it
    np.testing.assert_array_equal(namespace["subset"], maps.indices)
    np.testing.assert_allclose(namespace["pixel_map"], maps.pixels, atol=1e-6)
    np.testing.assert_allclose(np.abs(namespace["hidden_map"]), np.abs(maps.hidden), atol=1e-4)
    np.testing.assert_array_equal(namespace["mistakes"], maps.mistakes)


def test_the_shown_metrics_code_reproduces_a_torch_models_metrics(split):
    torch.manual_seed(0)
    model = SmallCNN()
    expected = classification_metrics(split.y_val, predict_torch(model, split.x_val))
    namespace = {"model": model}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(torch_metrics_code("bundled"), namespace)  # noqa: S102
    assert namespace["val_acc"] == pytest.approx(expected.accuracy, abs=1e-12)
    np.testing.assert_array_equal(namespace["confusion"], expected.confusion)
    assert namespace["report"] == expected.report
