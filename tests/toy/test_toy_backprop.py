"""Hand-written backprop (toy.backprop) and versions 4 and 5's helpers (toy.autograd_nn)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pytorch_explorer.toy.autograd_nn import (
    autograd_forward,
    build_toy_mlp,
    load_weights,
    make_optimizer,
    sgd_by_hand,
    weights_from_model,
)
from pytorch_explorer.toy.backprop import (
    BACKPROP,
    apply_updates,
    numpy_activation,
    numpy_backprop,
    torch_activation,
    torch_fixed_backprop,
)
from pytorch_explorer.toy.settings import ACTIVATIONS, PARAMETERS, article_data, initial_weights


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_numpy_and_torch_activations_are_twins(activation):
    x = np.linspace(-3, 3, 13)
    np_act, np_derivative = numpy_activation(activation)
    torch_act, torch_derivative = torch_activation(activation)
    a = np_act(x)
    np.testing.assert_allclose(torch_act(torch.from_numpy(x)).numpy(), a, rtol=0, atol=1e-15)
    np.testing.assert_allclose(torch_derivative(torch.from_numpy(a)).numpy(), np_derivative(a), rtol=0, atol=1e-15)
    # the derivative, written in terms of the output a, is the slope of the activation
    slope = (np_act(x + 1e-6) - np_act(x - 1e-6)) / 2e-6
    kink = np.abs(x) < 1e-9  # relu has none at 0
    np.testing.assert_allclose(np_derivative(a)[~kink], slope[~kink], atol=1e-6)


def test_numpy_and_the_corrected_torch_code_compute_the_same_epoch():
    X, y = article_data()
    weights = initial_weights(hidden=3, seed=4)
    p_numpy, p_torch = weights.as_numpy(), weights.as_torch()
    out_numpy, up_numpy = numpy_backprop(X, y, p_numpy)
    out_torch, up_torch = torch_fixed_backprop(torch.from_numpy(X), torch.from_numpy(y), p_torch)
    np.testing.assert_allclose(out_torch.numpy(), out_numpy, rtol=0, atol=1e-15)
    apply_updates(p_numpy, up_numpy, 0.5)
    apply_updates(p_torch, up_torch, 0.5)
    for name in PARAMETERS:
        np.testing.assert_allclose(p_torch[name].numpy(), p_numpy[name], rtol=0, atol=1e-15)
        np.testing.assert_allclose(p_numpy[name], getattr(weights, name) + 0.5 * up_numpy[name])
    assert set(BACKPROP) == {"numpy", "torch-article", "torch-fixed"}


def test_sgd_by_hand_steps_and_clears_the_gradient():
    p = torch.tensor([1.0, 2.0], requires_grad=True)
    (p**2).sum().backward()  # gradient 2p
    sgd_by_hand([p], lr=0.25)
    assert p.tolist() == [0.5, 1.0] and p.grad.tolist() == [0.0, 0.0] and p.requires_grad


def test_the_nn_model_holds_the_same_weights_and_computes_the_same_output():
    weights = initial_weights(hidden=5, seed=1)
    model = load_weights(build_toy_mlp(5, "tanh").double(), weights)
    back = weights_from_model(model)
    for name in PARAMETERS:
        np.testing.assert_array_equal(getattr(back, name), getattr(weights, name))
    X = torch.from_numpy(article_data()[0])
    expected = autograd_forward(X, weights.as_torch(), "tanh")
    torch.testing.assert_close(model(X), expected, rtol=0, atol=1e-15)
    assert isinstance(make_optimizer("adam", model.parameters(), 0.1), torch.optim.Adam)
    assert isinstance(make_optimizer("sgd", model.parameters(), 0.1), torch.optim.SGD)
