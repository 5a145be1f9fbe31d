"""The code the nn modules page shows: run, it reproduces the package's shapes, counts and outputs."""

from __future__ import annotations


import pytest
from conftest import run_shown_code
import torch

from pytorch_explorer.modules.code import model_code, toy_module_code
from pytorch_explorer.modules.custom import twin_check
from pytorch_explorer.modules.layers import PRESETS, parse_spec
from pytorch_explorer.modules.modes import compare_modes
from pytorch_explorer.modules.report import inspect_model




CASES = [(PRESETS["The article's MLP"].spec, (4, 784)), (PRESETS["A small CNN"].spec, (2, 1, 28, 28)),
         (PRESETS["MLP with BatchNorm and Dropout"].spec, (8, 784)),
         ("Conv2d(3,4,3,2,1);BatchNorm2d(4);GELU();MaxPool2d(2);Flatten();Dropout(0.2);Linear(64,3);Tanh()", (2, 3, 16, 16))]


@pytest.mark.parametrize("spec, shape", CASES)
@pytest.mark.parametrize("training", [True, False])
def test_the_shown_code_reproduces_the_page(spec, shape, training, tmp_path, one_torch_thread):
    layers = parse_spec(spec)
    ns = run_shown_code(model_code(layers, shape, seed=4, training=training), tmp_path)
    report = inspect_model(layers, shape, seed=4, training=training)
    assert ns["total"] == report.total
    assert [(name, str(tuple(i)), str(tuple(o))) for name, i, o in ns["shapes"]] == [
        (spec_.kind, r["input shape"].replace(",)", ",)"), r["output shape"]) for spec_, r in zip(layers, report.shapes,
                                                                                                 strict=True)]
    assert str(ns["model"]) == report.printed and report.printed in ns["__printed__"]
    assert f"total: {report.total:,} parameters" in ns["__printed__"]
    for row in report.state:
        assert f"{row['key']:24} {row['kind']:10}" in ns["__printed__"]
    modes = compare_modes(layers, shape, seed=4)
    assert torch.equal(ns["output_eval"], modes.output_eval)  # the same weights, input and running statistics
    if not modes.has_watched_layers:
        assert torch.equal(ns["output_train"], modes.output_train)
    if not training:
        assert torch.equal(ns["output"], report.output)


@pytest.mark.parametrize("hidden, seed", [(3, 0), (6, 11)])
def test_the_twins_code_reproduces_the_check(hidden, seed, tmp_path):
    ns = run_shown_code(toy_module_code(hidden, seed), tmp_path)
    check = twin_check(hidden, seed)
    assert torch.equal(ns["output_module"], check.module_output) and torch.equal(ns["output_twin"], check.sequential_output)
    assert "largest difference: 0.0" in ns["__printed__"]
    assert "['hidden.weight', 'hidden.bias', 'output.weight', 'output.bias']" in ns["__printed__"]
