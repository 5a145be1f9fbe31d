"""probe and probe.figures: saliency, hidden units, weights and the validation analysis of a real model."""

from __future__ import annotations

import io

import numpy as np
import plotly.graph_objects as go
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from pytorch_explorer.digits import probe
from pytorch_explorer.digits.probe import figures as figs
from pytorch_explorer.digits.data import load_bundled
from pytorch_explorer.core.errors import DataError
from pytorch_explorer.digits.models import TrainedModel
from pytorch_explorer.digits.preprocess import preprocess_digit
from pytorch_explorer.digits.training import TrainConfig, train_to_completion


@pytest.fixture(scope="module")
def trained() -> TrainedModel:
    """A small model trained for real (one epoch, 32 hidden units: well under a second)."""
    return train_to_completion(TrainConfig(epochs=1, hidden=32, device="cpu"))


@pytest.fixture(scope="module")
def deep() -> TrainedModel:
    return train_to_completion(TrainConfig(epochs=1, hidden=16, depth=2, activation="tanh", device="cpu"))


@pytest.fixture(scope="module")
def digit() -> np.ndarray:
    return load_bundled().images[-1]


def test_predict_matches_the_model_and_sums_to_one(trained, digit):
    p = probe.predict(trained, digit)
    assert p.shape == (10,) and abs(p.sum() - 1) < 1e-5
    with torch.no_grad():
        logits = trained.model(torch.from_numpy(digit).float().reshape(1, -1) / 255)
    np.testing.assert_allclose(p, torch.softmax(logits, 1)[0].numpy(), rtol=1e-5, atol=1e-6)
    many = probe.predict_many(trained, load_bundled().images[:10], batch=3)
    assert many.shape == (10, 10)
    np.testing.assert_allclose(many[9], probe.predict(trained, load_bundled().images[9]), atol=1e-6)


def test_saliency_is_the_gradient_of_the_logit(trained, digit):
    sal = probe.saliency(trained, digit)
    assert sal.target == int(sal.logits.argmax())
    x = torch.from_numpy(digit).float().reshape(1, -1) / 255
    # finite differences on a few pixels (ReLU nets are piecewise linear: small steps are exact)
    for pixel in (0, 300, 406, 500):
        step = torch.zeros_like(x)
        step[0, pixel] = 1e-3
        with torch.no_grad():
            up = trained.model(x + step)[0, sal.target]
            down = trained.model(x - step)[0, sal.target]
        slope = float((up - down) / 2e-3)
        assert abs(slope - sal.gradient.ravel()[pixel]) < 2e-2 * max(1.0, abs(slope)), pixel
    np.testing.assert_allclose(sal.input_x_gradient, sal.gradient * digit / 255.0, rtol=1e-5, atol=1e-7)
    assert (sal.input_x_gradient[digit == 0] == 0).all()


def test_saliency_of_another_class_and_no_side_effects_on_the_model(trained, digit):
    before = [None if p.grad is None else p.grad.clone() for p in trained.model.parameters()]
    trained.model.train()
    sal = probe.saliency(trained, digit, target=3)
    assert sal.target == 3
    assert trained.model.training  # the mode is put back
    for p, old in zip(trained.model.parameters(), before, strict=True):  # no .grad written or changed
        assert (p.grad is None and old is None) or torch.equal(p.grad, old)
    trained.model.eval()
    with pytest.raises(ValueError, match="0-9"):
        probe.saliency(trained, digit, target=10)


def test_votes_of_the_hidden_units_add_up_to_the_logit(trained, digit):
    (hidden,) = probe.hidden_activations(trained, digit)
    assert hidden.shape == (32,) and (hidden >= 0).all()  # ReLU
    logits = probe.saliency(trained, digit).logits
    for target in range(10):
        votes = probe.unit_contributions(trained, hidden, target)
        bias = float(trained.model[-1].bias.detach()[target])
        assert votes.sum() + bias == pytest.approx(logits[target], abs=1e-4)


def test_hidden_activations_of_a_deeper_model(deep, digit):
    layers = probe.hidden_activations(deep, digit)
    assert [layer.shape for layer in layers] == [(16,), (16,)]
    assert all((np.abs(layer) <= 1).all() for layer in layers)  # tanh
    assert probe.first_layer_weights(deep).shape == (16, 28, 28)


def test_strongest_units():
    assert list(probe.strongest_units(np.array([0.1, 3.0, 0.0, 3.0, 2.0]), 3)) == [1, 3, 4]
    assert len(probe.strongest_units(np.zeros(5), 99)) == 5
    assert len(probe.strongest_units(np.zeros(5), 0)) == 0


def test_first_layer_weights_are_the_rows_of_the_first_linear_layer(trained):
    weights = probe.first_layer_weights(trained)
    assert weights.shape == (32, 28, 28)
    np.testing.assert_array_equal(weights[5].ravel(), trained.model[0].weight[5].detach().numpy())


@settings(max_examples=20, deadline=None)
@given(k=st.integers(1, 60), columns=st.integers(1, 30))
def test_weight_mosaic_tiles_every_unit_once(k, columns):
    weights = np.random.default_rng(k).normal(size=(k, 28, 28)).astype(np.float32)
    mosaic, unit = figs.weight_mosaic(weights, columns=columns)
    assert mosaic.shape == unit.shape
    assert set(np.unique(unit)) - {-1} == set(range(k))
    for i in {0, k - 1}:
        tile = mosaic[unit == i].reshape(28, 28)
        np.testing.assert_allclose(tile, weights[i] / np.abs(weights[i]).max(), rtol=1e-5)
    assert np.isnan(mosaic[unit == -1]).all()


def test_previews_of_uploads_in_any_mode():
    from PIL import Image

    for mode in ("RGB", "L", "LA", "P", "CMYK", "I;16", "I", "F", "1"):
        small = figs.preview(Image.new(mode, (900, 600)))
        assert small is not None, mode
        shape = np.asarray(small).shape
        assert shape[:2] == (293, 440) or shape[:2] == (294, 440), (mode, shape)


def test_colour_maps_and_thumbnails():
    rgb = figs.diverging_rgb(np.array([[-2.0, 0.0, 2.0, np.nan]]))
    assert rgb.shape == (1, 4, 3) and rgb.dtype == np.uint8
    blue, white, red, grey = rgb[0]
    assert blue[2] > blue[0] and red[0] > red[2] and white.min() > 240 and (grey == 200).all()
    assert figs.enlarge(np.zeros((28, 28)), 140).shape == (140, 140)
    assert figs.thumbnail(np.zeros((28, 10), np.uint8), 84).shape == (84, 84)
    assert figs.thumbnail(np.zeros((500, 900), np.uint8), 84).shape == (84, 84)


# ----------------------------------------------------------------------------- validation analysis
def test_validation_report_agrees_with_the_trainer(trained):
    report = probe.validation_report(trained)
    assert len(report.labels) == 1500 and report.first_row == 3500
    np.testing.assert_array_equal(report.images, load_bundled().images[3500:])
    assert report.accuracy == pytest.approx(trained.metrics["val_acc"], abs=1e-9)
    confusion = report.confusion
    assert confusion.sum() == 1500
    assert np.trace(confusion) / 1500 == pytest.approx(report.accuracy)
    np.testing.assert_array_equal(confusion.sum(axis=1), np.bincount(report.labels, minlength=10))
    recall = report.per_class_accuracy
    assert recall[4] == pytest.approx(confusion[4, 4] / confusion[4].sum())


def test_cells_mistakes_and_picks(trained):
    report = probe.validation_report(trained)
    confusion = report.confusion
    off = confusion.copy()
    np.fill_diagonal(off, 0)
    t, p = np.unravel_index(off.argmax(), off.shape)
    cell = report.cell(t, p)
    assert len(cell) == confusion[t, p] > 0
    assert (report.labels[cell] == t).all() and (report.predicted[cell] == p).all()
    assert (np.diff(report.probabilities[cell, p]) <= 0).all()  # most confident first
    mistakes = report.mistakes()
    assert len(mistakes) == 1500 - np.trace(confusion)
    confidence = report.probabilities[mistakes, report.predicted[mistakes]]
    assert (np.diff(confidence) <= 0).all()
    assert list(report.mistakes(3)) == list(mistakes[:3])
    wrong = np.sort(mistakes)
    assert report.next_mistake() == wrong[0]
    assert report.next_mistake(int(wrong[0])) == wrong[1]
    assert report.next_mistake(int(wrong[-1])) == wrong[0]  # wraps round
    assert (report.labels[report.of_class(6)] == 6).all()


def test_a_model_from_an_unknown_source(trained):
    stranger = TrainedModel(trained.model, trained.config, {"val_fraction": 0.3}, {}, "folder:/nowhere", "x")
    with pytest.raises(DataError, match="cannot be loaded"):
        probe.validation_report(stranger)
    report = probe.validation_report(stranger, data=load_bundled())
    assert len(report.labels) == 1500


# ----------------------------------------------------------------------------- figures
def test_probability_bars(trained, digit):
    p = probe.predict(trained, digit)
    fig = figs.probability_bars(p, true_label=2)
    (bar,) = fig.data
    assert list(bar.x) == [str(i) for i in range(10)]
    np.testing.assert_allclose(bar.y, p)
    colours = list(bar.marker.color)
    assert colours[int(p.argmax())] == figs.ACCENT and colours.count(figs.ACCENT) == 1
    assert bar.marker.line.width[2] > 0


def test_saliency_and_unit_figures(trained, digit):
    sal = probe.saliency(trained, digit)
    fig = figs.saliency_figure(digit, sal.gradient, sal.input_x_gradient, sal.target)
    heatmaps = [t for t in fig.data if isinstance(t, go.Heatmap)]
    assert len(heatmaps) == 3
    np.testing.assert_allclose(np.asarray(heatmaps[1].z), sal.gradient)
    assert heatmaps[1].zmid == 0
    (hidden,) = probe.hidden_activations(trained, digit)
    strongest = probe.strongest_units(hidden, 6)
    bars = figs.activations_figure(hidden, strongest)
    assert list(bars.data[0].marker.color).count(figs.ACCENT) == 6
    votes = probe.unit_contributions(trained, hidden, sal.target)
    units = figs.unit_weights_figure(probe.first_layer_weights(trained), strongest, hidden, votes, image=digit)
    tiles = units.data[0]
    assert isinstance(tiles, go.Heatmap) and isinstance(units.data[1], go.Contour)
    shown = set(np.unique(np.asarray(tiles.customdata)).tolist()) - {-1}
    assert shown == set(strongest.tolist())
    titles = [a.text for a in units.layout.annotations]
    assert len(titles) == 6
    assert titles[0] == f"unit {strongest[0]}: {hidden[strongest[0]]:.2f} ({votes[strongest[0]]:+.2f})"


def test_confusion_figure_cells_are_clickable_points(trained):
    report = probe.validation_report(trained)
    fig = figs.confusion_figure(report.confusion, selected=(2, 8))
    heatmap, points = fig.data
    assert isinstance(points, go.Scatter) and len(points.x) == 100
    custom = np.asarray(points.customdata)
    row = custom[5 * 10 + 3]
    assert (row[0], row[1], row[2]) == (5, 3, report.confusion[5, 3])
    assert (points.x[5 * 10 + 3], points.y[5 * 10 + 3]) == ("3", "5")  # x: predicted, y: true
    assert fig.layout.clickmode == "event+select"
    assert len(fig.layout.shapes) == 1


def test_accuracy_and_compare_figures(trained, digit):
    report = probe.validation_report(trained)
    fig = figs.per_class_accuracy_figure(report.per_class_accuracy, report.accuracy)
    np.testing.assert_allclose(fig.data[0].y, report.per_class_accuracy)
    both = figs.compare_figure({"a": probe.predict(trained, digit), "b": np.full(10, 0.1)})
    assert [t.name for t in both.data] == ["a", "b"] and both.layout.barmode == "group"


def test_the_code_shown_on_the_page_runs(trained, digit):
    namespace = {"image": digit, "model": trained.model}
    exec(probe.probe_code(target=4), namespace)  # noqa: S102 - our own generated snippet, in a test
    assert namespace["target"] == 4
    expected = probe.saliency(trained, preprocess_digit(digit).final, 4).gradient
    np.testing.assert_allclose(namespace["saliency"].numpy(), expected, atol=1e-6)
    assert namespace["incoming"].shape[1:] == (28, 28)


# ----------------------------------------------------------------------------- what the probe page needs
def test_report_with_fallback_says_when_it_used_other_digits(trained):
    report, note = probe.report_with_fallback(trained, fallback=lambda: pytest.fail("not needed"))
    assert note == "" and report.first_row == 3500
    stranger = TrainedModel(trained.model, trained.config, {"val_fraction": 0.3}, {}, "folder:/nowhere", "x")
    report, note = probe.report_with_fallback(stranger, fallback=load_bundled)
    assert len(report.labels) == 1500 and "folder:/nowhere" in note and "not available" in note


def test_per_model_cache_is_keyed_by_the_model_object(trained, deep):
    cache = probe.PerModelCache()
    assert cache.get(trained) is None
    assert cache.put(trained, "report") == "report"
    assert cache.get(trained) == "report" and cache.get(deep) is None
    cache.put(trained, "mosaic of 50", key=50)
    assert cache.get(trained, 50) == "mosaic of 50" and cache.get(trained, 100) is None
    same_weights = TrainedModel(trained.model, trained.config, name="renamed")  # the same nn.Module: a hit
    assert cache.get(same_weights) == "report"
    cache.put(deep, "deep")
    cache.keep_only([deep])
    assert cache.get(trained) is None and cache.get(deep) == "deep"


def test_picks_captions_and_the_most_common_mistake(trained):
    report = probe.validation_report(trained)
    off = report.confusion.copy()
    np.fill_diagonal(off, -1)
    t, p = report.most_common_mistake()
    assert off[t, p] == off.max() and t != p
    rng = np.random.default_rng(0)
    assert all(report.labels[report.random_pick(6, rng)] == 6 for _ in range(20))
    assert 0 <= report.random_pick(rng=rng) < 1500
    empty = probe.ValidationReport(report.images[:0], report.labels[:0], report.probabilities[:0], "x", 0)
    assert empty.random_pick() is None and empty.random_pick(3) is None
    right = int(np.nonzero(report.predicted == report.labels)[0][0])
    wrong = int(report.mistakes()[0])
    label, guess = int(report.labels[wrong]), int(report.predicted[wrong])
    assert report.caption(right) == f"{report.labels[right]}: {report.probabilities[right].max():.0%}"
    assert report.caption(wrong) == f"{label} -> {guess} ({report.probabilities[wrong, guess]:.0%})"


def test_describe_names_the_layers_and_the_accuracy(trained, deep):
    text = probe.describe(trained)
    assert "784 -> 32 (relu) -> 10" in text and f"{trained.metrics['val_acc']:.1%}" in text
    assert "784 -> 16 -> 16 (tanh) -> 10" in probe.describe(deep)
    bare = TrainedModel(trained.model, trained.config, name="loaded")
    assert "validation accuracy" not in probe.describe(bare)


def test_the_page_code_with_the_model_builds_the_same_layers(trained, digit):
    code = probe.probe_code("a validation digit", None, trained)
    assert code.startswith(probe.probe_code("a validation digit")) and "torch.nn.Linear(28 * 28, 32)" in code
    namespace = {"image": digit}
    exec(code.split("# the model\n")[1], {"torch": torch}, namespace)  # noqa: S102 - our own snippet
    assert [tuple(p.shape) for p in namespace["model"].parameters()] == \
        [tuple(p.shape) for p in trained.model.parameters()]


def test_weight_mosaic_png_tiles_the_units(trained):
    from PIL import Image

    weights = probe.first_layer_weights(trained)
    png, width = figs.weight_mosaic_png(weights[:12])
    picture = Image.open(io.BytesIO(png))
    assert picture.width == width and picture.mode == "RGB"
    mosaic, _ = figs.weight_mosaic(weights[:12], columns=10, gap=2)  # 10 a row, 2 px gaps, shown 2x
    assert (picture.height, width) == (2 * mosaic.shape[0], 2 * mosaic.shape[1])
    rgb = np.asarray(picture)[::2, ::2]
    assert (rgb[np.isnan(mosaic)] == 255).all()  # white gaps
    assert (rgb[mosaic == 1.0] == (178, 24, 43)).all() and (rgb[mosaic == -1.0] == (33, 102, 172)).all()
