"""The real model: parameters, state_dict (parameters vs buffers), the shapes forward hooks record."""

from __future__ import annotations

import torch

from pytorch_explorer.modules.layers import PRESETS, parse_spec
from pytorch_explorer.modules.report import inspect_model, layer_rows, seeded_model_and_input
from pytorch_explorer.modules.shapes import shape_text, trace_shapes


def test_the_articles_mlp(one_torch_thread):
    report = inspect_model(parse_spec(PRESETS["The article's MLP"].spec), (4, 784))
    assert report.total == report.trainable == 397_510
    assert [(r["name"], r["shape"], r["count"]) for r in report.parameters] == [
        ("0.weight", "(500, 784)", 392_000), ("0.bias", "(500,)", 500), ("2.weight", "(10, 500)", 5000),
        ("2.bias", "(10,)", 10)]
    assert report.printed.startswith("Sequential(\n  (0): Linear(in_features=784, out_features=500, bias=True)")
    assert report.output.shape == (4, 10) and not report.buffers
    assert [r["output shape"] for r in report.shapes] == ["(4, 500)", "(4, 500)", "(4, 10)"]


def test_batchnorm_buffers_are_in_the_state_dict_not_the_parameters(one_torch_thread):
    layers = parse_spec(PRESETS["MLP with BatchNorm and Dropout"].spec)
    report = inspect_model(layers, (8, 784), training=False)
    kinds = {r["key"]: r["kind"] for r in report.state}
    assert kinds["1.weight"] == kinds["1.bias"] == "parameter"
    assert kinds["1.running_mean"] == kinds["1.running_var"] == kinds["1.num_batches_tracked"] == "buffer"
    assert report.buffers == ["1.running_mean", "1.running_var", "1.num_batches_tracked"]
    assert {r["name"] for r in report.parameters} == {k for k, v in kinds.items() if v == "parameter"}
    state = {r["key"]: r for r in report.state}
    assert state["1.num_batches_tracked"]["first values"] == "[0]" and state["1.num_batches_tracked"]["dtype"] == "int64"


def test_hooks_record_what_the_meta_trace_predicts(one_torch_thread):
    for title, preset in PRESETS.items():
        if "mistake" in title:
            continue
        layers, shape = parse_spec(preset.spec), tuple(int(d) for d in preset.input_shape.split(","))
        report = inspect_model(layers, shape, seed=3)
        traced = trace_shapes(layers, shape)
        assert [(r["input shape"], r["output shape"], r["parameters"]) for r in report.shapes] == [
            (shape_text(s.input_shape), shape_text(s.output_shape), s.parameters) for s in traced]
        assert [r["parameters"] for r in layer_rows(layers)] == [s.parameters for s in traced]
        assert sum(r["parameters"] for r in layer_rows(layers)) == report.total


def test_the_seed_decides_weights_and_input():
    layers = parse_spec("Conv2d(1,2,3);Flatten();Linear(8,2)")
    (m1, x1), (m2, x2) = seeded_model_and_input(layers, (2, 1, 4, 4), 5), seeded_model_and_input(layers, (2, 1, 4, 4), 5)
    assert torch.equal(x1, x2) and all(torch.equal(a, b) for a, b in zip(m1.parameters(), m2.parameters(), strict=True))
    bound = 1 / 3  # fan_in of Conv2d(1, 2, 3) = 1 * 3 * 3
    assert m1[0].weight.abs().max() <= bound and m1[0].bias.abs().max() <= bound
    _, x3 = seeded_model_and_input(layers, (2, 1, 4, 4), 6)
    assert not torch.equal(x1, x3)
