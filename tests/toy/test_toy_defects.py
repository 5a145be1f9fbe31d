"""The article's defects (toy.defects, toy.backprop's torch_article_backprop), measured in its weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pytorch_explorer.toy.backprop import torch_article_backprop
from pytorch_explorer.toy.defects import defect_evidence
from pytorch_explorer.toy.settings import ARTICLE_Y, ToySettings, article_data
from pytorch_explorer.toy.training import ToyResult, train_to_end

ARTICLE = ToySettings()  # 5000 epochs, lr 0.1, 3 hidden, sigmoid, uniform init, float64, shared weights
Y = np.array(ARTICLE_Y, dtype=float)


@pytest.fixture(scope="module")
def article_runs() -> dict[str, ToyResult]:
    """The article's version and numpy, trained once with the article's settings from the same weights."""
    return {impl: train_to_end(impl, ARTICLE) for impl in ("numpy", "torch-article")}


def test_the_article_defects_show_in_its_weights(article_runs):
    result = article_runs["torch-article"]
    evidence = defect_evidence(result)
    # bh: the same scalar was added to every hidden bias, every epoch
    assert evidence["bh_change_spread"] < 1e-9
    assert abs(evidence["bh_change"][0]) > 0.1
    # bout drifted although the output never used it: changing it changes nothing
    assert abs(evidence["bout_final"] - evidence["bout_initial"]) > 0.1
    X, _ = article_data()
    p = result.final.as_torch()
    before, _ = torch_article_backprop(torch.tensor(X), torch.tensor(Y), p)
    p["bout"] += 100.0
    after, _ = torch_article_backprop(torch.tensor(X), torch.tensor(Y), p)
    assert torch.equal(before, after)
    # the correct numpy version's hidden biases move differently from each other
    numpy_change = article_runs["numpy"].final.bh - article_runs["numpy"].initial.bh
    assert np.ptp(numpy_change) > 1e-3


def test_with_seed_1_the_article_version_gets_stuck_at_one_half():
    s = ToySettings(seed=1)
    article, fixed = train_to_end("torch-article", s), train_to_end("torch-fixed", s)
    assert defect_evidence(article)["stuck_samples"] == [2]
    assert article.predictions[2, 0] == pytest.approx(0.5, abs=1e-3)
    assert np.max(np.abs(fixed.predictions - Y)) < 0.1
    assert defect_evidence(train_to_end("torch-article", ToySettings(epochs=50, seed=1)))[
        "stuck_samples"] == []
