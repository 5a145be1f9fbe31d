"""models: the one conversion from stored pixels to model inputs, the model's predictions, its files."""

from __future__ import annotations

import io
import re
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from pytorch_explorer.core.errors import CheckpointError
from pytorch_explorer.digits.models import (
    CHECKPOINT_FORMAT, MODEL_FILE, MLPConfig, TrainedModel, build_mlp, load_checkpoint, pixels_to_inputs,
    save_checkpoint,
)


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


# ----------------------------------------------------------------------------- checkpoints that are not models
def saved(obj) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (4, 4)).save(buffer, "PNG")
    return buffer.getvalue()


def a_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return buffer.getvalue()


@pytest.mark.parametrize("data, what", [
    (b"hello", "not a file saved with torch.save"),
    (b"", "it is empty"),
    (png_bytes(), "it is a PNG image, not a PyTorch file"),
    (a_zip(), "cannot be read (cut short, or another kind of zip"),
    (saved({"w": torch.ones(3)})[:300], "cannot be read (cut short"),
    (saved(build_mlp(MLPConfig(hidden=4))), "holding Python objects (a whole pickled model"),  # refused by weights_only
    (saved({"x": np.ones(2)}), "holding Python objects"),
    (saved(torch.ones(3)), "a PyTorch file, but not a PyTorch Explorer model file: it holds a single tensor"),
    (saved(build_mlp(MLPConfig(hidden=4)).state_dict()), "it holds a bare state_dict"),
    (saved({"format": CHECKPOINT_FORMAT}), "a PyTorch Explorer model file, but damaged: its 'config' entry is missing"),
])
def test_a_file_that_is_not_a_model_says_what_it_is_not_and_what_a_model_file_is(data, what):
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(data, name="upload.pt")
    message = str(caught.value)
    assert message.startswith("upload.pt ") and what in message
    assert not re.search(r"\(\w+Error\)|KeyError|Unpickling|RuntimeError|EOFError", message)  # no exception class
    if "damaged" not in message:
        assert MODEL_FILE in message


def test_a_model_file_loads_from_bytes_a_path_and_a_stream(tmp_path):
    trained = TrainedModel(build_mlp(MLPConfig(hidden=4)), MLPConfig(hidden=4), name="tiny")
    data = save_checkpoint(trained)
    (tmp_path / "m.pt").write_bytes(data)
    stream = io.BytesIO(data)
    for source in (data, tmp_path / "m.pt", str(tmp_path / "m.pt"), stream):
        assert load_checkpoint(source).config == MLPConfig(hidden=4)
    with pytest.raises(CheckpointError, match="no such file"):
        load_checkpoint(tmp_path / "missing.pt")
