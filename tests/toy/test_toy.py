"""The toy networks: five implementations, their gradients, the article's defects, the shown code,
the timing helpers, the 2-D playground and the figures."""

from __future__ import annotations

import contextlib
import io
import runpy

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from pytorch_explorer.toy import networks as toy

from pytorch_explorer.toy import code as toy_code

from pytorch_explorer.toy import figures as toy_figures

from pytorch_explorer.toy import playground as toy_playground

from pytorch_explorer.toy import speed as toy_speed

ARTICLE = toy.ToySettings()  # 5000 epochs, lr 0.1, 3 hidden, sigmoid, uniform init, float64, shared weights
Y = np.array(toy.ARTICLE_Y, dtype=float)


@pytest.fixture(scope="module")
def article_runs() -> dict[str, toy.ToyResult]:
    """All five trained once with the article's settings from the same initial weights."""
    return {impl: toy.train_to_end(impl, ARTICLE) for impl in toy.IMPLEMENTATIONS}


# ---------------------------------------------------------------- training
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
    for name in toy.PARAMETERS:
        np.testing.assert_allclose(getattr(final["torch-fixed"], name), getattr(final["numpy"], name), atol=1e-9)


def test_the_article_version_follows_a_different_path(article_runs):
    article = np.array(article_runs["torch-article"].losses)
    assert np.max(np.abs(article - np.array(article_runs["numpy"].losses))) > 1e-3


def test_the_article_defects_show_in_its_weights(article_runs):
    result = article_runs["torch-article"]
    evidence = toy.defect_evidence(result)
    # bh: the same scalar was added to every hidden bias, every epoch
    assert evidence["bh_change_spread"] < 1e-9
    assert abs(evidence["bh_change"][0]) > 0.1
    # bout drifted although the output never used it: changing it changes nothing
    assert abs(evidence["bout_final"] - evidence["bout_initial"]) > 0.1
    X, _ = toy.article_data()
    p = result.final.as_torch()
    before, _ = toy.torch_article_backprop(torch.tensor(X), torch.tensor(Y), p)
    p["bout"] += 100.0
    after, _ = toy.torch_article_backprop(torch.tensor(X), torch.tensor(Y), p)
    assert torch.equal(before, after)
    # the correct numpy version's hidden biases move differently from each other
    numpy_change = article_runs["numpy"].final.bh - article_runs["numpy"].initial.bh
    assert np.ptp(numpy_change) > 1e-3


def test_with_seed_1_the_article_version_gets_stuck_at_one_half():
    s = toy.ToySettings(seed=1)
    article, fixed = toy.train_to_end("torch-article", s), toy.train_to_end("torch-fixed", s)
    assert toy.defect_evidence(article)["stuck_samples"] == [2]
    assert article.predictions[2, 0] == pytest.approx(0.5, abs=1e-3)
    assert np.max(np.abs(fixed.predictions - Y)) < 0.1
    assert toy.defect_evidence(toy.train_to_end("torch-article", toy.ToySettings(epochs=50, seed=1)))[
        "stuck_samples"] == []


def test_events_come_every_k_epochs_and_carry_every_loss():
    events = list(toy.train("numpy", toy.ToySettings(epochs=1000), every=300))
    assert [e.epoch for e in events] == [300, 600, 900, 1000]
    assert [len(e.losses) for e in events] == [300, 300, 300, 100]
    assert [e.done for e in events] == [False, False, False, True]
    assert events[-1].loss == events[-1].losses[-1]


def test_side_by_side_interleaves_and_starts_from_one_set_of_weights():
    s = toy.ToySettings(epochs=200)
    events = list(toy.train_side_by_side(["numpy", "torch-article"], s, every=100))
    assert [(e.impl, e.epoch) for e in events] == [
        ("numpy", 100), ("torch-article", 100), ("numpy", 200), ("torch-article", 200)]
    first = {e.impl: e.losses[0] for e in events if e.epoch == 100}
    expected = toy.initial_weights(3, 0, "uniform")
    X, _ = toy.article_data()
    hidden = 1 / (1 + np.exp(-(X @ expected.wh + expected.bh)))
    output = 1 / (1 + np.exp(-(hidden @ expected.wout + expected.bout)))
    assert first["numpy"] == pytest.approx(float(np.mean((Y - output) ** 2)))
    assert first["torch-article"] != first["numpy"]  # its first output already skips bout


@pytest.mark.parametrize("activation", toy.ACTIVATIONS)
def test_every_activation_and_float32_train_without_nan(activation):
    s = toy.ToySettings(epochs=300, activation=activation, dtype="float32", init="normal", hidden=5)
    for impl in toy.IMPLEMENTATIONS:
        result = toy.train_to_end(impl, s)
        assert np.isfinite(result.losses).all(), impl
        assert result.final.wh.shape == (4, 5)


def test_adam_and_own_initial_weights():
    s = toy.ToySettings(epochs=800, optimizer="adam", same_init=False, seed=3)
    result = toy.train_to_end("nn", s)
    assert np.max(np.abs(result.predictions - Y)) < 0.1
    torch.manual_seed(3)
    expected = torch.nn.Linear(4, 3).weight.detach().T.double().numpy()
    np.testing.assert_allclose(result.initial.wh, expected)
    own = toy.own_initial_weights("torch-fixed", toy.ToySettings(same_init=False, seed=3, init="normal"))
    torch.manual_seed(3)
    np.testing.assert_array_equal(own.wh, torch.randn(4, 3, dtype=torch.float64).numpy())
    # numpy's own weights are the shared ones: both are np.random.seed + np.random.uniform
    np.testing.assert_array_equal(toy.own_initial_weights("numpy", s).wh, toy.initial_weights(3, 3).wh)


@pytest.mark.parametrize("changes, message", [
    ({"epochs": 0}, "epochs"), ({"lr": -1.0}, "learning rate"), ({"lr": float("nan")}, "learning rate"),
    ({"hidden": 0}, "hidden units"), ({"activation": "gelu"}, "activation"), ({"init": "zeros"}, "init"),
    ({"optimizer": "rmsprop"}, "optimizer"), ({"dtype": "float16"}, "dtype"), ({"seed": -1}, "seed"),
])
def test_bad_settings_say_what_to_choose(changes, message):
    with pytest.raises(toy.ToySettingsError, match=message):
        toy.ToySettings(**changes)


def test_unknown_implementation_is_explained():
    with pytest.raises(toy.ToySettingsError, match="choose one of numpy"):
        next(toy.train("keras"))


def test_one_thread_restores_the_thread_count():
    before = torch.get_num_threads()
    with toy.one_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


# ---------------------------------------------------------------- gradient check
def test_hand_written_gradients_equal_autograd_and_the_article_does_not():
    check = toy.gradient_check(ARTICLE)
    for impl in ("numpy", "torch-fixed"):
        assert max(check.max_abs_diff(impl).values()) < 1e-6, impl
    article = check.max_abs_diff("torch-article")
    assert article["bh"] > 1e-3 and article["bout"] > 1e-3
    # against the network it really computes (no bout) its weight gradients are right, its bias ones wrong
    computed = check.max_abs_diff("torch-article", against_no_bout=True)
    assert computed["wh"] < 1e-6 and computed["wout"] < 1e-6
    assert computed["bh"] > 1e-3 and computed["bout"] > 1e-3
    # its bh "gradient" is one scalar for every hidden unit: minus the summed output error
    bh = check.hand["torch-article"]["bh"]
    assert np.ptp(bh) == 0 and bh[0, 0] == pytest.approx(check.hand["torch-article"]["bout"][0, 0])
    assert [row["parameter"] for row in check.table()] == list(toy.PARAMETERS)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), hidden=st.integers(1, 8), activation=st.sampled_from(toy.ACTIVATIONS),
       init=st.sampled_from(toy.INITS))
def test_gradients_match_autograd_for_any_weights(seed, hidden, activation, init):
    check = toy.gradient_check(toy.ToySettings(seed=seed, hidden=hidden, activation=activation, init=init))
    for impl in ("numpy", "torch-fixed"):
        assert max(check.max_abs_diff(impl).values()) < 1e-6


def test_hand_gradients_only_for_hand_written_versions():
    with pytest.raises(toy.ToySettingsError, match="no hand-written gradients"):
        toy.hand_gradients("nn", *toy.article_data(), toy.initial_weights())


# ---------------------------------------------------------------- the code the page shows
def _run_code(code: str, tmp_path) -> dict:
    path = tmp_path / "shown.py"
    path.write_text(code)
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        namespace = runpy.run_path(str(path))
    namespace["__printed__"] = printed.getvalue()
    return namespace


@pytest.mark.parametrize("impl", toy.IMPLEMENTATIONS)
@pytest.mark.parametrize("changes", [
    {}, {"activation": "tanh", "init": "normal", "same_init": False, "dtype": "float32"},
    {"activation": "relu", "hidden": 5, "optimizer": "adam", "lr": 0.3},
])
def test_the_shown_code_runs_and_reproduces_the_package(impl, changes, tmp_path):
    s = toy.ToySettings(epochs=40, seed=7, **changes)
    namespace = _run_code(toy_code.implementation_code(impl, s), tmp_path)
    output = namespace["output"]
    if isinstance(output, torch.Tensor):
        output = output.detach().double().numpy()
    np.testing.assert_allclose(output, toy.train_to_end(impl, s).predictions, rtol=0, atol=1e-12)
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


def test_predictions_rows():
    rows = toy.predictions_rows({"numpy": np.array([[0.9], [0.8], [0.1]])})
    assert rows[2] == {"X": "[0, 1, 0, 1]", "y": 0.0, "numpy": pytest.approx(0.1)}


# ---------------------------------------------------------------- speed
def test_time_per_epoch_measures_both_libraries_on_both_problems():
    for problem in toy_speed.PROBLEMS:
        for library in ("numpy", "torch"):
            seconds = toy_speed.time_per_epoch(problem, library, "cpu", epochs=1, warmup=0)
            assert 0 < seconds < 60
    X, y, weights = toy_speed.make_problem("large")
    assert X.shape == (10_000, 64) and y.shape == (10_000, 1) and weights["wh"].shape == (64, 256)
    assert 0.2 < y.mean() < 0.8
    with pytest.raises(ValueError):
        toy_speed.time_per_epoch("tiny", "jax")


def test_speed_note_reads_the_numbers_it_is_given():
    rows = [
        toy_speed.SpeedRow("tiny", "numpy", "cpu", 10, 0.02), toy_speed.SpeedRow("tiny", "torch", "cpu", 10, 0.06),
        toy_speed.SpeedRow("tiny", "torch", "cuda:0", 10, 0.2),
        toy_speed.SpeedRow("large", "numpy", "cpu", 10, 100.0), toy_speed.SpeedRow("large", "torch", "cpu", 10, 90.0),
        toy_speed.SpeedRow("large", "torch", "cuda:0", 10, 2.0),
    ]
    note = toy_speed.speed_note(rows)
    assert "numpy 20 µs, torch on the CPU 60 µs" in note and "numpy is 3.0x faster" in note
    assert "On cuda:0: 200 µs (slower than the CPU)" in note
    assert "torch on the CPU 90.0 ms per epoch: about the same" in note
    assert "On cuda:0: 2.0 ms (faster than the CPU)" in note
    assert "No GPU" not in note
    assert "No GPU on this machine" in toy_speed.speed_note(rows[:2])


# ---------------------------------------------------------------- playground
@pytest.mark.parametrize("name", toy_playground.DATASETS)
def test_datasets_are_seeded_balanced_and_in_the_plane(name):
    X, y = toy_playground.make_dataset(name, 200, 0.1, seed=1)
    X2, y2 = toy_playground.make_dataset(name, 200, 0.1, seed=1)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert X.shape == (200, 2) and X.dtype == np.float32 and set(np.unique(y)) == {0, 1}
    assert 0.3 < y.mean() < 0.7
    assert np.abs(X).max() < toy_playground.EXTENT
    assert not np.array_equal(X, toy_playground.make_dataset(name, 200, 0.1, seed=2)[0])


def test_dataset_geometry_without_noise():
    X, y = toy_playground.make_dataset("xor", 300, 0.0)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(int))
    X, y = toy_playground.make_dataset("circles", 300, 0.0)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius[y == 1].max() < radius[y == 0].min()


def test_playground_learns_xor_and_keeps_state_between_chunks():
    trainer = toy_playground.PlaygroundTrainer(toy_playground.PlaygroundSettings(dataset="xor"))
    start = trainer.accuracy
    events = list(trainer.train(150, every=50))
    assert [e.step for e in events] == [50, 100, 150] and events[-1].done
    list(trainer.train(150, every=150))
    assert trainer.step == 300 and len(trainer.losses) == 300
    assert trainer.losses[-1] < trainer.losses[0] / 2
    assert trainer.accuracy > 0.9 > start
    xs, ys, probs = trainer.probability_grid(30)
    assert xs.shape == (30,) and probs.shape == (30, 30) and 0 <= probs.min() and probs.max() <= 1


def test_autograd_and_nn_playground_versions_agree_with_sgd():
    common = {"dataset": "moons", "layers": 3, "units": 6, "activation": "relu", "lr": 0.3}
    a = toy_playground.PlaygroundTrainer(toy_playground.PlaygroundSettings(impl="autograd", **common))
    b = toy_playground.PlaygroundTrainer(toy_playground.PlaygroundSettings(impl="nn", optimizer="sgd", **common))
    list(a.train(60, 60))
    list(b.train(60, 60))
    np.testing.assert_allclose(a.losses, b.losses, atol=1e-5)


@pytest.mark.parametrize("impl", toy_playground.PLAYGROUND_IMPLS)
def test_playground_code_runs_and_matches(impl, tmp_path):
    s = toy_playground.PlaygroundSettings(impl=impl, dataset="circles", layers=2, units=5, lr=0.1)
    namespace = _run_code(toy_playground.playground_code(s, steps=20), tmp_path)
    trainer = toy_playground.PlaygroundTrainer(s)
    list(trainer.train(20, 20))
    assert float(namespace["loss"].detach()) == pytest.approx(trainer.losses[-1], abs=1e-6)


def test_playground_settings_are_checked():
    with pytest.raises(toy_playground.PlaygroundError, match="hidden layers"):
        toy_playground.PlaygroundSettings(layers=4)
    with pytest.raises(toy_playground.PlaygroundError, match="dataset"):
        toy_playground.make_dataset("blobs")


# ---------------------------------------------------------------- figures
def test_loss_curves_figure_has_one_named_line_per_version_and_thins_long_runs():
    fig = toy_figures.loss_curves_figure({"torch-article": [0.3] * 20_000, "numpy": [0.2, 0.1, 0.05]})
    assert [t.name for t in fig.data] == [toy.IMPLEMENTATION_TITLES["numpy"], toy.IMPLEMENTATION_TITLES["torch-article"]]
    assert len(fig.data[1].x) <= toy_figures.MAX_POINTS and fig.data[1].x[-1] == 20_000
    assert fig.layout.yaxis.type == "log"


def test_decision_boundary_and_other_figures():
    trainer = toy_playground.PlaygroundTrainer(toy_playground.PlaygroundSettings(points=60))
    xs, ys, probs = trainer.probability_grid(20)
    fig = toy_figures.decision_boundary_figure(xs, ys, probs, trainer.X, trainer.y)
    assert [type(t).__name__ for t in fig.data] == ["Heatmap", "Contour", "Scatter", "Scatter"]
    assert len(fig.data[2].x) + len(fig.data[3].x) == 60
    curve = toy_figures.training_curve_figure([0.7, 0.5], [0.5, 0.75])
    assert len(curve.data) == 2
    bars = toy_figures.speed_figure([toy_speed.SpeedRow("tiny", "numpy", "cpu", 5, 0.1).as_dict()])
    assert bars.data[0].name == "numpy (cpu)"
