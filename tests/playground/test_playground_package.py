"""The Toy playground's package (pytorch_explorer.playground): data, features, the network, training, what
the numbers say, the landscape, the figures and the code the page shows."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from pytorch_explorer.playground import data, figures
from pytorch_explorer.playground.code import playground_code
from pytorch_explorer.playground.config import PlaygroundConfig, layers_text, parse_layers
from pytorch_explorer.playground.landscape import loss_landscape
from pytorch_explorer.playground.model import build_model, regularization_term, unit_outputs
from pytorch_explorer.playground.trainer import PlaygroundTrainer, diagnosis, reset, trainer_for, vanishing_ratio

SMALL = {"points": 80}


# ---------------------------------------------------------------- data and features
@pytest.mark.parametrize("name", data.PROBLEMS)
def test_problems_have_their_shapes_labels_and_seeds(name):
    X, y = data.make_problem(name, 200, 0.1, seed=3)
    assert X.shape == (200, 2) and y.shape == (200,) and X.dtype == y.dtype == np.float32
    assert np.abs(X).max() <= data.EXTENT
    if data.is_classification(name):
        assert set(np.unique(y)) == {0.0, 1.0} and 0.3 < y.mean() < 0.7
    else:
        assert -1 <= y.min() < 0 < y.max() <= 1
    np.testing.assert_array_equal(X, data.make_problem(name, 200, 0.1, seed=3)[0])
    assert not np.array_equal(X, data.make_problem(name, 200, 0.1, seed=4)[0])


def test_problem_geometry_without_noise():
    X, y = data.make_problem("circles", 300)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius[y == 1].max() < radius[y == 0].min()
    X, y = data.make_problem("xor", 300)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] > 0).astype(np.float32))
    X, y = data.make_problem("plane", 300)
    np.testing.assert_allclose(y, (X[:, 0] + X[:, 1]) / (2 * data.EXTENT), atol=1e-6)


def test_split_keeps_every_point_once():
    X, y = data.make_problem("moons", 100, seed=1)
    (Xa, ya), (Xb, yb) = data.split(X, y, 0.7, seed=1)
    assert len(Xa) == 70 and len(Xb) == 30
    together = np.concatenate([Xa, Xb])
    assert sorted(map(tuple, together)) == sorted(map(tuple, X))


def test_features_are_the_named_functions_of_x1_and_x2():
    X = torch.tensor([[0.5, -2.0], [3.0, 1.0]])
    got = data.features(X, list(data.FEATURES))
    x1, x2 = X[:, 0], X[:, 1]
    expected = torch.stack([x1, x2, x1 ** 2, x2 ** 2, x1 * x2, torch.sin(x1), torch.sin(x2)], dim=1)
    torch.testing.assert_close(got, expected)
    assert data.features(X, ["x2"]).shape == (2, 1)
    with pytest.raises(data.PlaygroundError, match="at least one input feature"):
        data.features(X, [])
    with pytest.raises(data.PlaygroundError):
        data.features(X, ["x3"])


# ---------------------------------------------------------------- settings
@given(st.lists(st.integers(1, 8), max_size=6))
@settings(max_examples=30, deadline=None)
def test_layers_text_round_trips(layers):
    assert parse_layers(layers_text(tuple(layers))) == tuple(layers)


@pytest.mark.parametrize(("text", "message"), [("9", "1 to 8 neurons"), ("1-1-1-1-1-1-1", "at most 6"),
                                               ("4;2", "like 4-2"), ("1e9", "like 4-2"), ("0-3", "1 to 8")])
def test_too_large_or_odd_layers_are_refused(text, message):
    with pytest.raises(data.PlaygroundError, match=message):
        parse_layers(text)


@pytest.mark.parametrize("change", [{"lr": 11.0}, {"lr": 0.0}, {"lr": math.nan}, {"reg_rate": 100.0},
                                    {"batch_size": 0}, {"features": ()}, {"layers": (8,) * 7},
                                    {"activation": "gelu"}, {"problem": "blobs"}])
def test_config_refuses_values_out_of_range(change):
    with pytest.raises(data.PlaygroundError):
        PlaygroundConfig(**change)


# ---------------------------------------------------------------- the network
def test_regularisation_term_is_the_hand_computed_sum_over_weights_only():
    model = build_model(3, (4, 2), "tanh", torch.Generator().manual_seed(0))
    with torch.no_grad():
        for layer in model[::2]:
            layer.bias.fill_(5.0)  # biases are not penalised: they must not change the sums
    weights = [layer.weight.detach().numpy() for layer in model[::2]]
    l1 = sum(float(np.abs(w).sum()) for w in weights)
    l2 = sum(float((w * w).sum()) for w in weights)
    assert float(regularization_term(model, "L1", 0.01).detach()) == pytest.approx(0.01 * l1, rel=1e-6)
    assert float(regularization_term(model, "L2", 0.3).detach()) == pytest.approx(0.3 * l2, rel=1e-6)
    assert float(regularization_term(model, "none", 0.3).detach()) == 0.0


def test_node_heatmaps_are_each_layers_forward_output_on_the_grid():
    trainer = PlaygroundTrainer(PlaygroundConfig(layers=(3, 2), features=("x1", "x2", "x1*x2"), **SMALL))
    trainer.step(1)
    xs, grids = trainer.node_grids(7)
    assert [g.shape for g in grids] == [(3, 7, 7), (3, 7, 7), (2, 7, 7), (1, 7, 7)]
    # by hand: the point in row i (x2 = xs[i]) and column j (x1 = xs[j]) through each layer
    i, j = 2, 5
    x = torch.tensor([[xs[j], xs[i], xs[j] * xs[i]]])
    model = trainer.model
    h1 = torch.tanh(model[0](x))
    h2 = torch.tanh(model[2](h1))
    out = torch.sigmoid(model[4](h2))
    for grid, expected in zip(grids, [x, h1, h2, out], strict=True):
        np.testing.assert_allclose(grid[:, i, j], expected.detach().numpy()[0], rtol=1e-5, atol=1e-6)


def test_unit_outputs_of_a_regression_are_the_prediction_itself():
    model = build_model(2, (), "relu", torch.Generator().manual_seed(1))
    x = torch.randn(5, 2, generator=torch.Generator().manual_seed(2))
    outputs = unit_outputs(model, x, classification=False)
    assert len(outputs) == 2
    torch.testing.assert_close(outputs[-1], model(x).detach())


# ---------------------------------------------------------------- training
def test_training_is_resumable_and_learns():
    trainer = PlaygroundTrainer(PlaygroundConfig(problem="gauss", **SMALL))
    assert trainer.epoch == 0 and len(trainer.train_losses) == len(trainer.test_losses) == 1
    assert trainer.step(2) == 2 and trainer.epoch == 2
    trainer.step(8)
    assert trainer.epoch == 10 and len(trainer.train_losses) == 11
    assert trainer.train_losses[-1] < trainer.train_losses[0] and trainer.accuracy > 0.9
    assert trainer.train_for(0.0) == 0 and trainer.position == 10  # a slice trains at least one mini-batch
    assert trainer.step(1) == 1 and trainer.epoch == 11 and trainer.position == 0  # the rest of that epoch
    assert reset(trainer).epoch == 0


def test_the_same_seed_trains_the_same_network_and_retuning_keeps_it():
    a, b = (PlaygroundTrainer(PlaygroundConfig(**SMALL)) for _ in range(2))
    a.step(3)
    b.step(3)
    assert a.train_losses == b.train_losses
    faster = PlaygroundConfig(lr=0.3, **SMALL)
    assert trainer_for(faster, a) is a and a.optimizer.param_groups[0]["lr"] == 0.3 and a.epoch == 3
    other = trainer_for(PlaygroundConfig(layers=(2,), **SMALL), a)
    assert other is not a and other.epoch == 0


def test_a_learning_rate_of_10_diverges_stops_and_says_so():
    trainer = PlaygroundTrainer(PlaygroundConfig(problem="plane", lr=10.0, **SMALL))
    trainer.step(20)
    assert trainer.diverged and trainer.epoch < 20 and not math.isfinite(trainer.train_losses[-1])
    assert trainer.step(5) == 0  # a diverged network trains no further
    [(level, message)] = diagnosis(trainer)
    assert level == "error" and "diverged" in message and "Lower the learning rate" in message


def test_six_sigmoid_layers_of_eight_show_vanishing_gradients():
    trainer = PlaygroundTrainer(PlaygroundConfig(layers=(8,) * 6, activation="sigmoid", **SMALL))
    magnitudes = trainer.gradient_magnitudes()
    assert len(magnitudes) == 7 and magnitudes[0] < magnitudes[-1] / 100
    messages = dict(diagnosis(trainer, magnitudes))
    assert "times smaller than the last layer's" in messages["warning"]
    assert vanishing_ratio(magnitudes) == pytest.approx(magnitudes[-1] / magnitudes[0])
    healthy = PlaygroundTrainer(PlaygroundConfig(layers=(4,), **SMALL))
    assert diagnosis(healthy) == []


def test_gradient_magnitudes_are_autograds_mean_abs_gradients():
    trainer = PlaygroundTrainer(PlaygroundConfig(layers=(3,), **SMALL))
    magnitudes = trainer.gradient_magnitudes()
    loss = trainer.loss_fn(trainer.model(trainer.inputs_train).squeeze(1), trainer.targets_train)
    grads = torch.autograd.grad(loss, [trainer.model[0].weight, trainer.model[2].weight])
    assert magnitudes == pytest.approx([float(g.abs().mean()) for g in grads], rel=1e-6)
    assert all(p.grad is None or not p.grad.any() for p in trainer.model.parameters())  # nothing left behind


def test_the_landscape_is_centred_on_the_current_loss():
    trainer = PlaygroundTrainer(PlaygroundConfig(**SMALL))
    trainer.step(2)
    alphas, betas, losses = loss_landscape(trainer.model, trainer.loss_fn, trainer.inputs_train,
                                           trainer.targets_train, resolution=5, span=0.5)
    assert losses.shape == (5, 5) and alphas[2] == betas[2] == 0
    assert losses[2, 2] == pytest.approx(trainer.train_losses[-1], rel=1e-5)
    assert np.isfinite(losses).all() and losses.max() > losses[2, 2]
    fig = figures.landscape_figure(alphas, betas, losses)
    assert [type(t).__name__ for t in fig.data] == ["Contour", "Scatter"]


# ---------------------------------------------------------------- figures and code
def test_network_figure_draws_every_node_edge_and_heatmap():
    trainer = PlaygroundTrainer(PlaygroundConfig(layers=(4, 2), features=("x1", "x2", "sin(x1)"), **SMALL))
    _, grids = trainer.node_grids(8)
    fig = figures.network_figure(grids, trainer.weights(), trainer.config.features, selected=(1, 2))
    go.Figure(fig.to_plotly_json())  # a validated figure accepts every property
    assert len(fig.data[0].x) == 3 + 4 + 2 + 1 and len(fig.layout.images) == 1  # the whole picture, one image
    assert fig.layout.images[0].source.startswith("data:image/jpeg;base64,")
    assert "bias" in fig.data[0].hovertext[4] and "sin(x1): " in fig.data[0].hovertext[4]
    assert fig.data[0].marker.line.color[5] != fig.data[0].marker.line.color[4]  # the selected node is marked


def pixel(picture, widths, x, y):
    """The picture's colour at (x, y) in the network's units."""
    x0, x1, _, y1 = figures.picture_extent(widths)
    scale = picture.width / (x1 - x0)
    return np.array(picture.getpixel((int((x - x0) * scale), int((y1 - y) * scale))), dtype=int)


def test_the_network_picture_shows_each_nodes_heatmap_and_each_weights_sign():
    trainer = PlaygroundTrainer(PlaygroundConfig(layers=(4, 2), features=("x1", "x2", "sin(x1)"), **SMALL))
    trainer.step(3)
    _, grids = trainer.node_grids(8)
    widths, weights = [3, 4, 2, 1], trainer.weights()
    picture = figures.network_picture(grids, weights, widths)
    positions = figures.node_positions(widths)
    for c, column in enumerate(positions):
        for u, (x, y) in enumerate(column):
            grid = grids[c][u] if c == len(widths) - 1 else figures.scaled(grids[c][u])
            colours = figures.colorize(grid[::-1])  # row 0 = the highest x2, as drawn
            for row, col in ((1, 1), (2, 6), (6, 3), (5, 5)):  # cell centres, away from the cells' borders
                shown = pixel(picture, widths, x - 0.5 + (col + 0.5) / 8, y + 0.5 - (row + 0.5) / 8)
                assert np.abs(shown - colours[row, col]).max() <= 12, (c, u, row, col)
    W = weights[-1][0]  # the two edges into the output: blue for a positive weight, orange for a negative one
    for i, (x, y) in enumerate(positions[2]):
        (xo, yo), = positions[3]
        r, _, b = pixel(picture, widths, (x + 0.5 + xo - 0.5) / 2, (y + yo) / 2)
        assert (b > r) == (W[0, i] >= 0), (i, W[0, i])
    plain = figures.network_picture(None, weights, widths)
    assert all(tuple(pixel(plain, widths, x, y)) == (221, 221, 221) for column in positions for x, y in column)


def test_the_points_picture_has_a_dot_of_its_labels_colour_at_every_point():
    X = np.array([[-2.0, 2.0], [1.0, -1.5], [2.5, 2.5]])
    y = np.array([0.0, 1.0, 1.0])
    picture = figures.points_picture(3.0, [(X[:2], y[:2], (255, 255, 255)), (X[2:], y[2:], (0, 0, 0))], pixels=300)
    for (x1, x2), label in zip(X, y, strict=True):
        r, g, b, a = picture.getpixel((int((x1 + 3) / 6 * 300), int((3 - x2) / 6 * 300)))
        assert a == 255 and (r, g, b) == (figures.POSITIVE if label else figures.NEGATIVE)
    assert picture.getpixel((150, 150))[3] == 0  # transparent where there is no point
    rim = picture.getpixel((int(5.5 / 6 * 300) + 3, int(0.5 / 6 * 300)))  # the test point's black rim, to its right
    assert rim[3] == 255 and max(rim[:3]) < 80
    first = figures.points_uri(3.0, [(X, y, (255, 255, 255))])
    assert figures.points_uri(3.0, [(X.copy(), y.copy(), (255, 255, 255))]) is first  # drawn once, then reused


def test_a_long_run_is_drawn_from_at_most_500_epochs_a_curve():
    assert figures.curve_epochs(3) == [0, 1, 2]
    long = figures.curve_epochs(20_001)
    assert len(long) == 500 and long[0] == 0 and long[-1] == 20_000 and long == sorted(long)
    losses = [1 / (e + 1) for e in range(20_001)]
    curves = figures.loss_figure(losses, losses)
    assert list(curves.data[0].x) == long and curves.data[0].y[-1] == pytest.approx(1 / 20_001)


def test_colours_run_from_orange_through_white_to_blue():
    rgb = figures.colorize(np.array([-1.0, 0.0, 1.0, np.nan, 7.0]))
    assert tuple(rgb[0]) == figures.NEGATIVE and tuple(rgb[1]) == figures.ZERO and tuple(rgb[2]) == figures.POSITIVE
    assert tuple(rgb[3]) == figures.ZERO and tuple(rgb[4]) == figures.POSITIVE


def test_output_and_loss_figures_leave_out_non_finite_losses():
    trainer = PlaygroundTrainer(PlaygroundConfig(**SMALL))
    xs, grids = trainer.node_grids(10)
    fig = figures.output_figure(xs, grids[-1][0], trainer.X_train, trainer.y_train, trainer.X_test, trainer.y_test)
    assert [type(t).__name__ for t in fig.data] == ["Heatmap", "Scatter", "Scatter"]  # the points' legend entries
    assert len(fig.layout.images) == 1 and fig.layout.images[0].source.startswith("data:image/png;base64,")
    curves = figures.loss_figure([0.7, 0.5, math.nan], [0.7, 0.6, math.inf])
    assert list(curves.data[0].y) == [0.7, 0.5, None] and list(curves.data[1].y) == [0.7, 0.6, None]


@pytest.mark.parametrize("change", [{}, {"problem": "multi-gauss", "optimizer": "adam", "regularization": "L1",
                                         "reg_rate": 0.001, "features": ("x1", "x2", "x1^2", "sin(x2)")},
                                    {"layers": (), "activation": "relu", "regularization": "L2", "reg_rate": 0.01}])
def test_the_shown_code_runs_and_trains_to_the_trainers_loss(change, capsys):
    config = PlaygroundConfig(points=100, batch_size=5, **change)
    trainer = PlaygroundTrainer(config)
    trainer.step(4)
    namespace: dict = {}
    exec(playground_code(config, epochs=4), namespace)  # noqa: S102 - the page's code, run as a learner would
    assert namespace["train_loss"] == pytest.approx(trainer.train_losses[-1], rel=1e-5)
    assert namespace["test_loss"] == pytest.approx(trainer.test_losses[-1], rel=1e-5)
    assert "after 4 epochs" in capsys.readouterr().out


def test_a_live_frame_draws_the_network_output_and_curves_from_one_grid():
    from pytorch_explorer.playground.live import Frame

    trainer = PlaygroundTrainer(PlaygroundConfig(layers=(3, 2), **SMALL))
    trainer.step(2)
    shown = Frame(trainer, show_test=True, selected=(1, 0), lang="zh")
    assert len(shown.network.layout.images) == 1 and len(shown.network.data[0].x) == 2 + 3 + 2 + 1
    assert [t.name for t in shown.output.data] == ["输出", "训练数据点", "测试数据点"]
    assert shown.losses.layout.yaxis.title.text == "二元交叉熵" and len(shown.losses.data[0].x) == 3
    assert len(Frame(trainer).output.data) == 2  # the test points only when asked for
