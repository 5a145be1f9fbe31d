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
from torch.utils.flop_counter import FlopCounterMode

from pytorch_explorer.digits.models import (
    ARCHS, CHECKPOINT_FORMAT, MODEL_FILE, MLPConfig, ModelConfig, TrainedModel, build_mlp, build_model,
    describe_model, load_checkpoint, mlp_code, model_code, model_cost, parameter_count, pixels_to_inputs,
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


# ----------------------------------------------------------------------------- the architectures (issue 16)
# LeNet-5 as models.build_lenet defines it, counted by hand: weights + biases of each layer
LENET_PARAMETERS = (1 * 6 * 5 * 5 + 6) + (6 * 16 * 5 * 5 + 16) + (400 * 120 + 120) + (120 * 84 + 84) + (84 * 10 + 10)
# forward FLOPs (2 x multiply-adds): conv1 28x28 outputs, conv2 10x10 outputs, then the three linear layers
LENET_FORWARD = (2 * 1 * 25 * 6 * 28 * 28) + (2 * 6 * 25 * 16 * 10 * 10) + 2 * (400 * 120 + 120 * 84 + 84 * 10)


def cnn_by_hand(channels: int, k: int, layers: int, batch_norm: bool) -> int:
    """The configurable CNN's parameters, by hand: per block a k x k conv (a bias unless batch norm follows,
    which brings a weight and a bias a channel), then one linear layer from the last block's pooled map."""
    total, width_in, size = 0, 1, 28
    for block in range(layers):
        width_out = channels * 2 ** block
        total += width_in * width_out * k * k + (2 * width_out if batch_norm else width_out)
        width_in, size = width_out, size // 2
    return total + width_in * size * size * 10 + 10


@pytest.mark.parametrize("arch", list(ARCHS))
def test_every_arch_reads_784_pixels_and_gives_10_scores(arch):
    model = build_model(ModelConfig(arch=arch))
    model.eval()
    assert model(torch.rand(5, 784)).shape == (5, 10)
    assert model(torch.rand(1, 784)).shape == (1, 10)
    trained = TrainedModel(model, ModelConfig(arch=arch))
    digits = torch.randint(0, 256, (3, 28, 28), dtype=torch.uint8)
    assert trained.predict_proba(digits).shape == (3, 10)  # (N, 28, 28) uint8 works for every arch


def test_lenet_has_the_hand_counted_parameters_and_flops():
    config = ModelConfig(arch="lenet")
    assert LENET_PARAMETERS == 61_706  # LeNet-5's well-known count
    assert sum(p.numel() for p in build_model(config).parameters()) == LENET_PARAMETERS
    cost = model_cost(config)
    assert cost.parameters == parameter_count(config) == LENET_PARAMETERS
    assert cost.forward_flops == LENET_FORWARD
    # training: forward + weight gradients (= forward) + input gradients (= forward, except the first conv's)
    assert cost.training_flops == 3 * LENET_FORWARD - 2 * 1 * 25 * 6 * 28 * 28
    assert [layer.output for layer in cost.layers if layer.flops] == [(6, 28, 28), (16, 10, 10), (120,), (84,), (10,)]


@pytest.mark.parametrize("options", [
    dict(channels=16, kernel_size=3, conv_layers=2, batch_norm=True),
    dict(channels=16, kernel_size=3, conv_layers=2, batch_norm=False),
    dict(channels=8, kernel_size=5, conv_layers=1, batch_norm=True),
    dict(channels=4, kernel_size=7, conv_layers=3, batch_norm=False),
    dict(channels=32, kernel_size=3, conv_layers=3, batch_norm=True),
])
def test_the_cnns_options_change_its_parameters_as_counted_by_hand(options):
    config = ModelConfig(arch="cnn", **options)
    expected = cnn_by_hand(options["channels"], options["kernel_size"], options["conv_layers"], options["batch_norm"])
    assert model_cost(config).parameters == parameter_count(config) == expected
    assert sum(p.numel() for p in build_model(config).parameters()) == expected


def test_the_cnns_flops_by_hand_and_dropout_costs_no_parameters():
    config = ModelConfig(arch="cnn", channels=8, kernel_size=3, conv_layers=2, dropout=0.5)
    by_hand = 2 * (1 * 9 * 8 * 28 * 28) + 2 * (8 * 9 * 16 * 14 * 14) + 2 * (16 * 7 * 7 * 10)
    assert model_cost(config).forward_flops == by_hand
    assert model_cost(config).parameters == model_cost(ModelConfig(arch="cnn", channels=8, kernel_size=3,
                                                                   conv_layers=2, dropout=0.0)).parameters
    assert model_cost(ModelConfig(arch="cnn", channels=16)).parameters > model_cost(ModelConfig(arch="cnn", channels=8)).parameters


@pytest.mark.parametrize("config", [ModelConfig(), ModelConfig(hidden=64, depth=3), ModelConfig(arch="lenet"),
                                    ModelConfig(arch="cnn", batch_norm=False, kernel_size=5, conv_layers=3)])
def test_forward_flops_agree_with_torchs_flop_counter(config):
    model = build_model(config)
    model.eval()
    with FlopCounterMode(display=False) as counter:
        model(torch.rand(1, 784))
    assert model_cost(config).forward_flops == counter.get_total_flops()


def test_the_mlps_cost_is_the_articles_arithmetic():
    cost = model_cost(ModelConfig())
    assert cost.parameters == 784 * 500 + 500 + 500 * 10 + 10
    assert cost.forward_flops == 2 * (784 * 500 + 500 * 10)
    assert cost.training_flops == 3 * cost.forward_flops - 2 * 784 * 500


@pytest.mark.parametrize("bad", [dict(arch="resnet"), dict(arch="cnn", channels=0), dict(arch="cnn", channels=129),
                                 dict(kernel_size=4), dict(conv_layers=4), dict(dropout=0.95), dict(dropout=True),
                                 dict(batch_norm="yes"), dict(channels=2.5), dict(arch=["cnn"])])
def test_bad_cnn_options_say_what_is_allowed(bad):
    with pytest.raises(ValueError, match="must be"):
        ModelConfig(**bad)


@pytest.mark.parametrize("config", [ModelConfig(hidden=8), ModelConfig(arch="lenet", activation="tanh"),
                                    ModelConfig(arch="cnn", channels=4, conv_layers=3, dropout=0.3),
                                    ModelConfig(arch="cnn", channels=4, batch_norm=False, kernel_size=7)])
def test_each_arch_round_trips_through_a_checkpoint(config):
    torch.manual_seed(1)
    model = build_model(config)
    model.train()
    model(torch.rand(64, 784))  # batch norm's running averages move away from their start
    trained = TrainedModel(model, config, {"lr": 0.001, "val_fraction": 0.3}, {"val_acc": 0.5}, name=config.arch)
    data = save_checkpoint(trained)
    payload = torch.load(io.BytesIO(data), weights_only=True)  # tensors and plain values only
    assert payload["config"]["arch"] == config.arch
    loaded = load_checkpoint(data)
    assert loaded.config == config and type(loaded.model[1]) is type(model[1])
    digits = torch.randint(0, 256, (6, 28, 28), dtype=torch.uint8)
    torch.testing.assert_close(loaded.predict_proba(digits), trained.predict_proba(digits), rtol=0, atol=0)


def test_an_old_mlp_checkpoint_without_an_arch_still_loads():
    config = MLPConfig(hidden=8)
    model = build_mlp(config)
    old = {"format": CHECKPOINT_FORMAT, "state_dict": model.state_dict(),
           "config": {"hidden": 8, "depth": 1, "activation": "relu"},  # what checkpoints held before the CNNs
           "hyperparameters": {"lr": 0.001}, "metrics": {}, "source": "bundled", "name": "old"}
    loaded = load_checkpoint(saved(old))
    assert loaded.config.arch == "mlp" and loaded.config.hidden == 8
    assert isinstance(loaded.model[0], torch.nn.Linear)


def test_a_checkpoint_whose_arch_does_not_match_its_weights_is_refused_cleanly():
    trained = TrainedModel(build_model(ModelConfig(arch="lenet")), ModelConfig(arch="lenet"))
    payload = torch.load(io.BytesIO(save_checkpoint(trained)), weights_only=True)
    payload["config"]["arch"] = "cnn"
    with pytest.raises(CheckpointError, match="damaged"):
        load_checkpoint(saved(payload))
    payload["config"]["arch"] = "transformer"
    with pytest.raises(CheckpointError, match="damaged: arch must be one of"):
        load_checkpoint(saved(payload))


@pytest.mark.parametrize("config", [ModelConfig(arch="lenet"), ModelConfig(arch="cnn", conv_layers=3, dropout=0.1),
                                    ModelConfig(arch="cnn", batch_norm=False)])
def test_the_code_shown_builds_the_same_model(config):
    namespace: dict = {"torch": torch}
    exec(compile(model_code(config), "<shown code>", "exec"), namespace)  # noqa: S102 - our own code, as shown
    shown, built = namespace["model"], build_model(config)
    shown.load_state_dict(built.state_dict())  # same layers, same names, same shapes
    shown.eval(), built.eval()
    x = torch.rand(4, 784)
    torch.testing.assert_close(shown(x), built(x))
    assert mlp_code(config) == model_code(config)  # the old name serves every arch


def test_describe_model_names_each_arch():
    assert describe_model(ModelConfig()) == "784 -> 500 -> 10 (relu)"
    assert describe_model(ModelConfig(arch="lenet")).startswith("LeNet-5: conv 5x5 x6")
    assert "x32 + BN" in describe_model(ModelConfig(arch="cnn", channels=16))
