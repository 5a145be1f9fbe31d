"""The compare page's figures, from plain arrays."""

from __future__ import annotations

import numpy as np

from pytorch_explorer.compare import figures


def test_a_map_has_a_trace_a_label_its_points_carry_their_index_and_mistakes_are_crosses():
    labels = np.array([3, 1, 3, 7, 1])
    coords = np.arange(10, dtype=float).reshape(5, 2)
    indices = np.array([40, 41, 42, 43, 44])
    fig = figures.map_figure(coords, labels, indices, mistakes=np.array([False, True, False, False, False]))
    assert [t.name for t in fig.data] == ["1", "3", "7"]
    ones = fig.data[0]
    assert list(ones.x) == [2.0, 8.0] and [c[0] for c in ones.customdata] == [41, 44]
    assert list(ones.marker.symbol) == [figures.MISTAKE_SYMBOL, figures.RIGHT_SYMBOL]
    assert all(s == figures.RIGHT_SYMBOL for s in fig.data[1].marker.symbol)
    assert len({t.marker.color for t in fig.data}) == 3


def test_a_map_without_a_model_marks_nothing():
    fig = figures.map_figure(np.zeros((3, 2)), np.array([0, 0, 0]), np.array([0, 1, 2]))
    assert list(fig.data[0].marker.symbol) == [figures.RIGHT_SYMBOL] * 3


def test_the_confusion_heatmap_holds_the_counts():
    matrix = np.arange(100).reshape(10, 10)
    fig = figures.confusion_figure(matrix)
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), matrix)
    assert fig.layout.yaxis.autorange == "reversed"


def test_accuracy_against_time_has_one_trace_a_family_and_skips_rows_without_numbers():
    rows = [{"name": "knn", "family": "scikit-learn", "val_acc": 0.93, "seconds": 0.01},
            {"name": "net", "family": "PyTorch", "val_acc": 0.95, "seconds": 12.0},
            {"name": "queued", "family": "PyTorch", "val_acc": None, "seconds": None}]
    fig = figures.accuracy_time_figure(rows)
    assert [t.name for t in fig.data] == ["scikit-learn", "PyTorch"]
    assert list(fig.data[1].text) == ["net"] and fig.layout.xaxis.type == "log"
