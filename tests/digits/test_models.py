"""models: the one conversion from stored pixels to model inputs, and the model's predictions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pytorch_explorer.digits.models import MLPConfig, TrainedModel, build_mlp, pixels_to_inputs


def test_pixels_to_inputs_scales_uint8_and_keeps_floats():
    pixels = torch.arange(2 * 28 * 28, dtype=torch.int64).remainder(256).to(torch.uint8).reshape(2, 28, 28)
    x = pixels_to_inputs(pixels)
    assert x.shape == (2, 784) and x.dtype == torch.float32
    assert torch.equal(x, pixels.reshape(2, 784).float() / 255)
    assert float(x.max()) == 1.0 and float(x.min()) == 0.0
    scaled = torch.rand(3, 784)
    assert torch.equal(pixels_to_inputs(scaled), scaled)  # floats are taken as already in [0, 1]
    assert pixels_to_inputs(torch.zeros(0, 28, 28, dtype=torch.uint8)).shape == (0, 784)


def test_predict_proba_reads_uint8_and_float_digits_alike():
    torch.manual_seed(0)
    config = MLPConfig(hidden=8)
    trained = TrainedModel(build_mlp(config), config)
    digits = torch.from_numpy(np.random.default_rng(0).integers(0, 256, (4, 28, 28), dtype=np.uint8))
    p = trained.predict_proba(digits)
    assert p.shape == (4, 10) and torch.allclose(p.sum(1), torch.ones(4))
    torch.testing.assert_close(p, trained.predict_proba(digits.float() / 255))
    with torch.no_grad():
        expected = torch.softmax(trained.model(digits.reshape(4, -1).float() / 255), 1)
    torch.testing.assert_close(p, expected)


@pytest.mark.parametrize("bad", [dict(hidden=0), dict(depth=4), dict(activation="swish")])
def test_a_bad_config_says_what_is_allowed(bad):
    with pytest.raises(ValueError, match="must be"):
        MLPConfig(**bad)
