"""Training the toy network five ways (toy.training): the same path for the correct versions, events,
side-by-side runs, own initial weights, and the tables the page shows."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pytorch_explorer.toy.settings import (
    ACTIVATIONS,
    ARTICLE_Y,
    IMPLEMENTATIONS,
    PARAMETERS,
    ToySettings,
    article_data,
    initial_weights,
)
from pytorch_explorer.toy.training import (
    ToyResult,
    own_initial_weights,
    predictions_rows,
    side_by_side_results,
    starting_weights,
    summary_rows,
    train,
    train_side_by_side,
    train_to_end,
)

ARTICLE = ToySettings()  # 5000 epochs, lr 0.1, 3 hidden, sigmoid, uniform init, float64, shared weights
Y = np.array(ARTICLE_Y, dtype=float)


@pytest.fixture(scope="module")
def article_runs() -> dict[str, ToyResult]:
    """All five trained once with the article's settings from the same initial weights."""
    return {impl: train_to_end(impl, ARTICLE) for impl in IMPLEMENTATIONS}


@pytest.mark.parametrize("impl", ["numpy", "torch-fixed", "autograd", "nn"])
def test_correct_versions_fit_the_article_data(article_runs, impl):
    result = article_runs[impl]
    assert result.epochs == 5000
    assert result.predictions.shape == (3, 1)
    assert np.max(np.abs(result.predictions - Y)) < 0.1
    assert result.final_loss < result.losses[0] / 10


def test_numpy_and_fixed_torch_draw_the_same_curve_from_the_same_weights(article_runs):
    numpy_losses = np.array(article_runs["numpy"].losses)
    for impl in ("torch-fixed", "autograd", "nn"):  # same loss, same weights, SGD: the same path
        np.testing.assert_allclose(article_runs[impl].losses, numpy_losses, rtol=1e-9, atol=1e-12)
    final = {impl: article_runs[impl].final for impl in ("numpy", "torch-fixed")}
    for name in PARAMETERS:
        np.testing.assert_allclose(getattr(final["torch-fixed"], name), getattr(final["numpy"], name), atol=1e-9)


def test_the_article_version_follows_a_different_path(article_runs):
    article = np.array(article_runs["torch-article"].losses)
    assert np.max(np.abs(article - np.array(article_runs["numpy"].losses))) > 1e-3


def test_events_come_every_k_epochs_and_carry_every_loss():
    events = list(train("numpy", ToySettings(epochs=1000), every=300))
    assert [e.epoch for e in events] == [300, 600, 900, 1000]
    assert [len(e.losses) for e in events] == [300, 300, 300, 100]
    assert [e.done for e in events] == [False, False, False, True]
    assert events[-1].loss == events[-1].losses[-1]


def test_side_by_side_interleaves_and_starts_from_one_set_of_weights():
    s = ToySettings(epochs=200)
    events = list(train_side_by_side(["numpy", "torch-article"], s, every=100))
    assert [(e.impl, e.epoch) for e in events] == [
        ("numpy", 100), ("torch-article", 100), ("numpy", 200), ("torch-article", 200)]
    first = {e.impl: e.losses[0] for e in events if e.epoch == 100}
    expected = initial_weights(3, 0, "uniform")
    X, _ = article_data()
    hidden = 1 / (1 + np.exp(-(X @ expected.wh + expected.bh)))
    output = 1 / (1 + np.exp(-(hidden @ expected.wout + expected.bout)))
    assert first["numpy"] == pytest.approx(float(np.mean((Y - output) ** 2)))
    assert first["torch-article"] != first["numpy"]  # its first output already skips bout


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_activation_and_float32_train_without_nan(activation):
    s = ToySettings(epochs=300, activation=activation, dtype="float32", init="normal", hidden=5)
    for impl in IMPLEMENTATIONS:
        result = train_to_end(impl, s)
        assert np.isfinite(result.losses).all(), impl
        assert result.final.wh.shape == (4, 5)


def test_adam_and_own_initial_weights():
    s = ToySettings(epochs=800, optimizer="adam", same_init=False, seed=3)
    result = train_to_end("nn", s)
    assert np.max(np.abs(result.predictions - Y)) < 0.1
    torch.manual_seed(3)
    expected = torch.nn.Linear(4, 3).weight.detach().T.double().numpy()
    np.testing.assert_allclose(result.initial.wh, expected)
    own = own_initial_weights("torch-fixed", ToySettings(same_init=False, seed=3, init="normal"))
    torch.manual_seed(3)
    np.testing.assert_array_equal(own.wh, torch.randn(4, 3, dtype=torch.float64).numpy())
    # numpy's own weights are the shared ones: both are np.random.seed + np.random.uniform
    np.testing.assert_array_equal(own_initial_weights("numpy", s).wh, initial_weights(3, 3).wh)


def test_predictions_rows():
    rows = predictions_rows({"numpy": np.array([[0.9], [0.8], [0.1]])})
    assert rows[2] == {"X": "[0, 1, 0, 1]", "y": 0.0, "numpy": pytest.approx(0.1)}


def test_side_by_side_results_gather_each_run_round_by_round():
    s = ToySettings(epochs=100, same_init=False, seed=2, optimizer="adam")
    rounds = [
        {impl: (r.epochs, r.final_loss) for impl, r in results.items()}
        for results in side_by_side_results(["numpy", "nn"], s, every=40)
    ]
    assert [r["nn"][0] for r in rounds] == [40, 80, 100]  # a yield after each round of both
    assert [r["numpy"][0] for r in rounds] == [40, 80, 100]
    *_, results = side_by_side_results(["numpy", "nn"], s)  # default: 25 rounds
    for impl in ("numpy", "nn"):
        alone = train_to_end(impl, s)
        assert results[impl].losses == alone.losses
        np.testing.assert_array_equal(results[impl].initial.wh, alone.initial.wh)
        np.testing.assert_array_equal(results[impl].predictions, alone.predictions)
    assert rounds[-1]["nn"][1] == results["nn"].final_loss


def test_result_start_draws_the_starting_weights():
    s = ToySettings(same_init=False, seed=9, init="normal")
    result = ToyResult.start("torch-fixed", s)
    assert result.epochs == 0 and result.predictions is None and np.isnan(result.final_loss)
    np.testing.assert_array_equal(result.initial.wh, starting_weights("torch-fixed", s).wh)


def test_summary_rows_say_how_close_each_finished_run_is():
    good = ToyResult("numpy", ARTICLE, initial_weights(), losses=[0.2, 0.01], predictions=np.array([[0.95], [0.85], [0.05]]))
    bad = ToyResult("torch-article", ARTICLE, initial_weights(), losses=[0.3], predictions=np.array([[0.9], [0.9], [0.5]]))
    unfinished = ToyResult("nn", ARTICLE, initial_weights())
    rows = summary_rows({"numpy": good, "torch-article": bad, "nn": unfinished}, {"numpy": "1 numpy"})
    assert [r["version"] for r in rows] == ["1 numpy", "torch-article"]
    assert rows[0]["epochs"] == 2 and rows[0]["final loss (MSE)"] == 0.01
    assert rows[0]["max |prediction - y|"] == pytest.approx(0.15) and rows[0]["within 0.1 of y"] == "no"
    assert rows[1]["max |prediction - y|"] == pytest.approx(0.5)
    assert summary_rows({"numpy": good}, within=0.2)[0]["within 0.2 of y"] == "yes"
