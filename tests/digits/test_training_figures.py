"""The trainer's charts stay readable: a diverged point stays on them, 30 epochs do not crowd the axis,
and one run's spike does not squash the other runs flat."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pytorch_explorer.digits.training import figures as figs


def drawn_points(fig, row_axis: str = "yaxis") -> list[tuple[float, float]]:
    """(x, y) of every point drawn on the loss axis, with y checked to lie inside that axis' range."""
    low, high = fig.layout[row_axis].range
    points = []
    for trace in fig.data:
        if (trace.yaxis or "y") != "y" + row_axis[5:]:
            continue
        for x, y in zip(trace.x, trace.y, strict=True):
            assert y is not None and math.isfinite(y) and low <= y <= high, (trace.name, x, y, (low, high))
            points.append((x, y))
    return points


@pytest.mark.parametrize("blow_up", [math.inf, math.nan, 3.7e4])
def test_a_diverged_loss_stays_on_the_chart_with_its_value(blow_up):
    steps, losses = [10, 20, 30, 40], [2.3, 1.1, 0.7, blow_up]
    fig = figs.loss_figure(steps, losses, total_steps=100)
    assert 40 in {x for x, _ in drawn_points(fig)}  # the diverged step is drawn (was: NaN/inf left out)
    marker = [t for t in fig.data if t.text is not None]
    assert len(marker) == 1 and list(marker[0].x) == [40] and marker[0].text[0] == f"{blow_up:.3g}"
    assert "clipped" in fig.layout.yaxis.title.text  # the chart says its axis is cut
    assert fig.layout.yaxis.range[1] < 5  # the rest of the curve keeps its shape
    ordinary = figs.loss_figure(steps[:3], losses[:3])
    assert list(ordinary.data[0].y) == losses[:3] and "clipped" not in ordinary.layout.yaxis.title.text


@pytest.mark.parametrize("epochs", [1, 5, 10, 12, 30])
def test_epoch_ticks_do_not_crowd(epochs):
    fig = figs.accuracy_figure(list(range(1, epochs + 1)), [0.9] * epochs, [0.9] * epochs, total_epochs=epochs)
    axis = fig.layout.xaxis
    ticks = np.arange(axis.tick0, axis.range[1], axis.dtick)
    assert 1 <= len(ticks) <= 10, (epochs, axis.dtick)
    assert axis.dtick == 1 or epochs > 10  # every epoch labelled while there is room
    overlay = figs.runs_overlay_figure({"a": {"epoch_val_acc": [0.9] * epochs, "loss_history": [1.0]}})
    assert len(np.arange(1, epochs + 0.5, overlay.layout.xaxis2.dtick)) <= 10


def test_one_runs_spike_does_not_flatten_the_others():
    steps = list(range(0, 200, 10))
    calm = list(np.linspace(2.3, 0.2, len(steps)))
    spiky = list(calm)
    spiky[5] = 4_000.0  # one blown-up step
    diverged = [2.3, 8.0, math.inf]
    runs = {"calm": {"loss_steps": steps, "loss_history": calm},
            "spiky": {"loss_steps": steps, "loss_history": spiky},
            "diverged": {"loss_steps": steps[:3], "loss_history": diverged}}
    fig = figs.runs_overlay_figure(runs)
    top = fig.layout.yaxis.range[1]
    assert max(calm) / top > 0.7  # the calm run fills most of the axis (was: 2.3 on an axis up to 4,000)
    assert "clipped at" in fig.layout.yaxis.title.text  # stated on the chart
    drawn = drawn_points(fig)
    assert (50, top / 1.04) in drawn and (20, top / 1.04) in drawn  # the spike and the inf, on the top edge
    values = {v for t in fig.data if t.text is not None for v in t.text}
    assert {"4e+03", "inf"} <= values
    plain = figs.runs_overlay_figure({"calm": runs["calm"]})
    assert "clipped" not in plain.layout.yaxis.title.text and list(plain.data[0].y) == calm
