"""The code each page shows (toy.code): run by a test, it reproduces the package's numbers."""

from __future__ import annotations


import numpy as np
import pytest
from conftest import run_shown_code
import torch

from pytorch_explorer.toy import code as toy_code
from pytorch_explorer.toy.settings import IMPLEMENTATIONS, ToySettings
from pytorch_explorer.toy.training import train_to_end

ARTICLE = ToySettings()




@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize("changes", [
    {}, {"activation": "tanh", "init": "normal", "same_init": False, "dtype": "float32"},
    {"activation": "relu", "hidden": 5, "optimizer": "adam", "lr": 0.3},
])
def test_the_shown_code_runs_and_reproduces_the_package(impl, changes, tmp_path):
    s = ToySettings(epochs=40, seed=7, **changes)
    namespace = run_shown_code(toy_code.implementation_code(impl, s), tmp_path)
    output = namespace["output"]
    if isinstance(output, torch.Tensor):
        output = output.detach().double().numpy()
    np.testing.assert_allclose(output, train_to_end(impl, s).predictions, rtol=0, atol=1e-12)
    assert "mean squared error" in namespace["__printed__"]


def test_the_article_code_marks_its_defects_and_the_fixed_one_has_none():
    article = toy_code.implementation_code("torch-article")
    assert "output = sigmoid(output_layer_input1)  # <- DEFECT 1" in article
    assert "bout += d_output.sum() * lr  # <- DEFECT 2" in article
    assert "bh += d_output.sum() * lr  # <- DEFECT 3" in article
    fixed = toy_code.implementation_code("torch-fixed")
    assert "DEFECT" not in fixed and "bh += d_hiddenlayer.sum(dim=0, keepdim=True) * lr" in fixed
    assert "epoch = 5000" in article and "lr = 0.1" in article


def test_aligned_rows_pair_numpy_with_torch_line_by_line():
    rows = toy_code.aligned_rows(ARTICLE, "torch-article")
    marks = [r["same"] for r in rows]
    assert marks.count("!") == 3
    assert {r["torch"].strip() for r in rows if r["same"] == "!"} == {
        "output = sigmoid(output_layer_input1)", "bout += d_output.sum() * lr", "bh += d_output.sum() * lr"}
    pair = next(r for r in rows if "np.dot(X, wh)" in r["numpy"])
    assert pair["torch"].strip() == "hidden_layer_input1 = torch.mm(X, wh)" and pair["same"] == "~"
    numpy_lines = [r["numpy"] for r in rows if r["numpy"]]
    code_lines = [line for line in toy_code.implementation_code("numpy").splitlines() if line]
    assert numpy_lines == code_lines
    assert "!" not in [r["same"] for r in toy_code.aligned_rows(ARTICLE, "torch-fixed")]
    with pytest.raises(ValueError):
        toy_code.aligned_rows(ARTICLE, "nn")


def test_every_aligned_mark_has_words():
    marks = {r["same"] for impl in ("torch-article", "torch-fixed") for r in toy_code.aligned_rows(ARTICLE, impl)}
    assert marks == set(toy_code.SAME_LABELS)
