"""The toy network's settings (toy.settings): checked with a message that says what to choose."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pytorch_explorer.toy.settings import (
    PARAMETERS,
    ToySettings,
    ToySettingsError,
    ToyWeights,
    initial_weights,
    one_thread,
    parameter_shapes,
)
from pytorch_explorer.toy.training import train


@pytest.mark.parametrize("changes, message", [
    ({"epochs": 0}, "epochs"), ({"lr": -1.0}, "learning rate"), ({"lr": float("nan")}, "learning rate"),
    ({"hidden": 0}, "hidden units"), ({"activation": "gelu"}, "activation"), ({"init": "zeros"}, "init"),
    ({"optimizer": "rmsprop"}, "optimizer"), ({"dtype": "float16"}, "dtype"), ({"seed": -1}, "seed"),
])
def test_bad_settings_say_what_to_choose(changes, message):
    with pytest.raises(ToySettingsError, match=message):
        ToySettings(**changes)


def test_unknown_implementation_is_explained():
    with pytest.raises(ToySettingsError, match="choose one of numpy"):
        next(train("keras"))


def test_one_thread_never_changes_process_wide_torch_state():  # issue 18: other sessions share the process
    before = torch.get_num_threads()
    with one_thread():
        assert torch.get_num_threads() == before
    assert torch.get_num_threads() == before


def test_initial_weights_are_drawn_in_the_articles_order_with_the_articles_shapes():
    weights = initial_weights(hidden=4, seed=5)
    np.random.seed(5)  # the article's numpy code: wh, bh, wout, bout, each np.random.uniform
    for name, shape in parameter_shapes(4, 4, 1).items():
        np.testing.assert_array_equal(getattr(weights, name), np.random.uniform(size=shape))
    assert parameter_shapes(4, 4, 1) == {"wh": (4, 4), "bh": (1, 4), "wout": (4, 1), "bout": (1, 1)}
    normal = initial_weights(hidden=2, seed=5, init="normal")
    assert normal.wh.shape == (4, 2) and (normal.wh < 0).any()  # uniform [0, 1) has no negatives
    with pytest.raises(ToySettingsError, match="init"):
        initial_weights(init="zeros")


def test_weights_go_to_torch_and_back_unchanged():
    weights = initial_weights(hidden=3, seed=2)
    tensors = weights.as_torch("float64")
    assert all(isinstance(t, torch.Tensor) and t.dtype == torch.float64 for t in tensors.values())
    tensors["wh"] += 1.0  # a fresh copy: the weights themselves do not move
    back = ToyWeights.from_arrays(weights.as_torch())
    for name in PARAMETERS:
        np.testing.assert_array_equal(getattr(back, name), getattr(weights, name))
