"""probe.conv and the probe's views for a CNN: feature maps, filters, dense layers, saliency; nothing raises for
any architecture (the MLP, a CNN with and without dense hidden layers)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import pytest
import torch
from torch import nn

from pytorch_explorer.digits import probe
from pytorch_explorer.digits.data import load_bundled
from pytorch_explorer.digits.models import TrainedModel
from pytorch_explorer.digits.preprocess import preprocess_digit
from pytorch_explorer.digits.probe import conv
from pytorch_explorer.digits.probe import figures as figs
from pytorch_explorer.digits.training import TrainConfig, train_to_completion


@dataclass(frozen=True)
class CNNConfig:
    """A stand-in for the trainer's CNN configs (the probe reads only `arch`, if anything)."""

    arch: str = "cnn"
    channels: int = 4


class TinyCNN(nn.Module):
    """The shape of the trainer's CNNs: reads the flattened 784 digit, reshapes to (N, 1, 28, 28) in forward."""

    def __init__(self, hidden: int | None = 16) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3)  # -> 4 x 26 x 26
        self.pool = nn.MaxPool2d(2)  # -> 13 x 13
        self.conv2 = nn.Conv2d(4, 6, 3)  # -> 6 x 11 x 11
        flat = 6 * 11 * 11
        self.head = nn.Sequential(nn.Linear(flat, hidden), nn.ReLU(), nn.Linear(hidden, 10)) if hidden else \
            nn.Linear(flat, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(-1, 1, 28, 28)
        x = self.pool(torch.relu(self.conv1(x)))
        x = torch.relu(self.conv2(x))
        return self.head(x.flatten(1))


def cnn_model(hidden: int | None = 16, seed: int = 0) -> TrainedModel:
    with torch.random.fork_rng():  # the same weights each time, torch's global generator left as it was
        torch.manual_seed(seed)
        model = TinyCNN(hidden).eval()
    return TrainedModel(model, CNNConfig(), {"val_fraction": 0.3}, {"val_acc": 0.5}, "bundled",
                        f"tiny cnn {hidden}")


@pytest.fixture(scope="module")
def cnn() -> TrainedModel:
    return cnn_model()


@pytest.fixture(scope="module")
def mlp() -> TrainedModel:
    return train_to_completion(TrainConfig(epochs=1, hidden=32, device="cpu"))


@pytest.fixture(scope="module")
def digit() -> np.ndarray:
    return load_bundled().images[-1]


def x_of(digit: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(digit).float().reshape(1, 784) / 255


def test_feature_maps_of_each_conv_layer(cnn, digit):
    maps = conv.feature_maps(cnn.model, digit)
    assert [m.maps.shape for m in maps] == [(4, 26, 26), (6, 11, 11)]
    assert [m.name for m in maps] == ["conv1", "conv2"] and [m.index for m in maps] == [0, 1]
    assert maps[0].title == "conv layer 1: 1 -> 4 channels, 3x3 kernels, maps of 26x26"
    with torch.no_grad():
        first = cnn.model.conv1(x_of(digit).reshape(1, 1, 28, 28))[0].numpy()
    np.testing.assert_allclose(maps[0].maps, first, atol=1e-6)
    # the hooks are gone and the model's mode is what it was
    assert all(not layer._forward_hooks for _, layer in conv.conv_layers(cnn.model))
    cnn.model.train()
    conv.feature_maps(cnn.model, digit)
    assert cnn.model.training
    cnn.model.eval()


def test_hooks_are_removed_even_when_the_forward_pass_fails(cnn):
    with pytest.raises(ValueError, match="28x28"):
        conv.feature_maps(cnn.model, np.zeros((27, 27), np.uint8))
    broken = TinyCNN()
    broken.forward = lambda x: (_ for _ in ()).throw(RuntimeError("boom"))  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        conv.feature_maps(broken, np.zeros((28, 28), np.uint8))
    assert not broken.conv1._forward_hooks and not broken.conv2._forward_hooks


def test_first_conv_filters_are_the_first_layers_kernels(cnn):
    filters = conv.first_conv_filters(cnn.model)
    assert filters.shape == (4, 1, 3, 3)
    np.testing.assert_array_equal(filters, cnn.model.conv1.weight.detach().numpy())


def test_saliency_of_a_cnn_is_the_gradient_of_its_logit(cnn, digit):
    sal = probe.saliency(cnn, digit, 3)
    x = x_of(digit).requires_grad_(True)
    (gradient,) = torch.autograd.grad(cnn.model(x)[0, 3], x)
    np.testing.assert_allclose(sal.gradient, gradient.reshape(28, 28).numpy(), atol=1e-6)
    np.testing.assert_allclose(sal.input_x_gradient, (gradient * x).detach().reshape(28, 28).numpy(), atol=1e-6)
    assert all(p.grad is None for p in cnn.model.parameters())


def test_saliency_of_the_mlp_is_generic_too(mlp, digit):
    sal = probe.saliency(mlp, digit)
    x = x_of(digit).requires_grad_(True)
    logits = mlp.model(x)
    (gradient,) = torch.autograd.grad(logits[0, int(logits.argmax())], x)
    np.testing.assert_allclose(sal.gradient, gradient.reshape(28, 28).numpy(), atol=1e-6)


def test_dense_hidden_layers_and_votes_of_a_cnn(cnn, digit):
    (hidden,) = probe.hidden_activations(cnn, digit)
    with torch.no_grad():
        m = cnn.model
        flat = torch.relu(m.conv2(m.pool(torch.relu(m.conv1(x_of(digit).reshape(1, 1, 28, 28)))))).flatten(1)
        expected = torch.relu(m.head[0](flat))[0].numpy()
        logits = m(x_of(digit))[0].numpy()
    np.testing.assert_allclose(hidden, expected, atol=1e-6)
    votes = probe.unit_contributions(cnn, hidden, 7)
    assert votes.sum() + float(m.head[2].bias[7].detach()) == pytest.approx(float(logits[7]), abs=1e-5)
    assert probe.hidden_activations(cnn_model(hidden=None), digit) == []  # one Linear: no dense hidden layer


def test_the_mlps_hidden_layers_are_what_they_were(mlp, digit):
    (hidden,) = probe.hidden_activations(mlp, digit)
    with torch.no_grad():
        expected = mlp.model[1](mlp.model[0](x_of(digit)))[0].numpy()
    np.testing.assert_allclose(hidden, expected, atol=1e-6)
    assert conv.feature_maps(mlp.model, digit) == [] and conv.first_conv_filters(mlp.model) is None
    assert conv.pixel_weights_apply(mlp.model) and not conv.is_convolutional(mlp.model)


def test_pixel_weight_pictures_are_for_the_mlp_only(cnn, mlp):
    assert not conv.pixel_weights_apply(cnn.model)
    with pytest.raises(ValueError, match="not a Linear layer over the 784 pixels"):
        probe.first_layer_weights(cnn)
    assert probe.first_layer_weights(mlp).shape == (32, 28, 28)


def test_describe_and_the_code_for_a_cnn(cnn, digit):
    text = probe.describe(cnn)
    assert "cnn: 784 -> conv 4@3x3 -> conv 6@3x3 -> 16 -> 10" in text and "parameters" in text and "50.0%" in text
    assert not probe.is_plain_mlp(cnn)
    code = probe.probe_code("a validation digit", 2, cnn)
    assert "register_forward_hook" in code and "torch.nn.Linear(28 * 28" not in code and "#   TinyCNN(" in code
    namespace = {"image": digit, "model": cnn.model}
    exec(code, namespace)  # noqa: S102 - our own generated snippet, in a test
    assert [tuple(m.shape) for m in namespace["maps"].values()] == [(1, 4, 26, 26), (1, 6, 11, 11)]
    assert tuple(namespace["filters"].shape) == (4, 1, 3, 3)
    shown = preprocess_digit(digit).final  # the code preprocesses its image, as the page does a drawing
    np.testing.assert_allclose(namespace["saliency"].numpy(), probe.saliency(cnn, shown, 2).gradient, atol=1e-6)
    assert all(not layer._forward_hooks for _, layer in conv.conv_layers(cnn.model))


def test_conv_figures_are_grids_of_small_heatmaps(cnn, digit):
    maps = conv.feature_maps(cnn.model, digit)
    fig = figs.feature_maps_figure(maps[1].maps)
    assert isinstance(fig, go.Figure) and len(fig.data) == 6 and all(t.type == "heatmap" for t in fig.data)
    np.testing.assert_allclose(np.asarray(fig.data[5].z), maps[1].maps[5], atol=1e-6)
    assert [a.text for a in fig.layout.annotations][:2] == ["ch 0", "ch 1"]
    assert len(figs.feature_maps_figure(np.zeros((64, 5, 5)), max_channels=32).data) == 32
    filters = figs.filters_figure(conv.first_conv_filters(cnn.model))
    assert len(filters.data) == 4 and np.asarray(filters.data[0].z).shape == (3, 3)
    assert len(figs.heatmap_grid(np.zeros((0, 3, 3)), []).data) == 0
    assert len(figs.filters_figure(np.zeros((3, 3))).data) == 0


@pytest.mark.parametrize("make", [lambda: cnn_model(16), lambda: cnn_model(None),
                                  lambda: TrainedModel(nn.Sequential(nn.Unflatten(1, (1, 28, 28)), nn.Conv2d(1, 3, 5),
                                                                     nn.ReLU(), nn.Flatten(), nn.Linear(3 * 24 * 24, 10)),
                                                       CNNConfig(arch="lenet"), name="sequential cnn")])
def test_no_probe_view_raises_for_any_architecture(make, digit):
    trained = make()
    p = probe.predict(trained, digit)
    assert p.shape == (10,) and p.sum() == pytest.approx(1.0, abs=1e-5)
    probe.saliency(trained, digit)
    layers = probe.hidden_activations(trained, digit)
    if layers:
        probe.unit_contributions(trained, layers[-1], 0)
    assert conv.feature_maps(trained.model, digit)
    assert conv.first_conv_filters(trained.model) is not None
    assert probe.describe(trained) and probe.probe_code(trained=trained)
    assert probe.validation_report(trained).probabilities.shape == (1500, 10)
