"""train() vs eval(): Dropout zeroes and rescales only in training, BatchNorm switches statistics."""

from __future__ import annotations

import pytest
import torch

from pytorch_explorer.modules.layers import PRESETS, parse_spec
from pytorch_explorer.modules.modes import compare_modes


def test_dropout_zeroes_and_rescales_in_train_and_passes_through_in_eval(one_torch_thread):
    comparison = compare_modes(parse_spec("Linear(16,2000);Dropout(0.3)"), (8, 16), seed=1)
    (dropout,) = comparison.layers
    facts = dropout.facts
    assert 0.27 < facts["zeroed fraction (train)"] < 0.33  # 16,000 draws with p = 0.3
    assert facts["kept ÷ input (train)"] == pytest.approx(1 / 0.7, rel=1e-5) and facts["1/(1-p)"] == pytest.approx(1 / 0.7)
    assert facts["largest |output − input| (eval)"] == 0
    assert comparison.max_difference > 0
    assert torch.equal(comparison.output_eval, comparison.output_eval_again)
    assert not torch.equal(comparison.output_train, comparison.output_train_again)  # a new mask each call
    assert "1/(1-p)" in dropout.train_text and "unchanged" in dropout.eval_text


def test_batchnorm_uses_batch_statistics_in_train_and_running_ones_in_eval(one_torch_thread):
    comparison = compare_modes(parse_spec(PRESETS["MLP with BatchNorm and Dropout"].spec), (8, 784), seed=2)
    norm = next(b for b in comparison.layers if b.call == "BatchNorm1d(256)")
    f = norm.facts
    assert f["train: |output − (x − batch mean)/√(batch var + eps)| max"] < 1e-5
    assert f["train: output mean over the batch, largest |value|"] < 1e-5
    assert f["running_mean after − (0.9·before + 0.1·batch mean), max"] < 1e-6
    assert f["num_batches_tracked before → after"] == "0 → 1"
    assert f["eval: |output − (x − running mean)/√(running var + eps)| max"] < 1e-5
    assert f["eval: output mean over the batch, largest |value|"] > 0.05  # running stats are not this batch's
    assert [b.call for b in comparison.layers] == ["BatchNorm1d(256)", "Dropout(p=0.5)"]


def test_batchnorm2d_alone_differs_between_modes_deterministically(one_torch_thread):
    comparison = compare_modes(parse_spec("Conv2d(1,4,3);BatchNorm2d(4)"), (3, 1, 8, 8), seed=0)
    assert comparison.max_difference > 0.01
    assert torch.equal(comparison.output_train, comparison.output_train_again)  # no dropout: train is deterministic
    assert comparison.layers[0].facts["num_batches_tracked before → after"] == "0 → 1"


def test_without_dropout_or_batchnorm_the_modes_agree(one_torch_thread):
    comparison = compare_modes(parse_spec(PRESETS["A small CNN"].spec), (2, 1, 28, 28))
    assert not comparison.has_watched_layers and comparison.max_difference == 0
