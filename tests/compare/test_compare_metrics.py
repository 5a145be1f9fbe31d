"""Per-class metrics: exactly sklearn.metrics' numbers, as table rows; a torch model's predictions."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, classification_report, confusion_matrix, precision_recall_fscore_support

from pytorch_explorer.compare import classification_metrics, predict_torch, report_rows

labels = st.lists(st.integers(0, 9), min_size=1, max_size=200)


@settings(max_examples=40, deadline=None)
@given(labels, st.integers(0, 2**31 - 1))
def test_metrics_equal_sklearns(y_true, seed):
    y_true = np.array(y_true)
    rng = np.random.default_rng(seed)
    y_pred = np.where(rng.random(len(y_true)) < 0.7, y_true, rng.integers(0, 10, len(y_true)))
    m = classification_metrics(y_true, y_pred)
    assert m.accuracy == accuracy_score(y_true, y_pred)
    np.testing.assert_array_equal(m.confusion, confusion_matrix(y_true, y_pred, labels=list(range(10))))
    assert m.confusion.shape == (10, 10) and m.confusion.sum() == len(y_true)
    assert m.mistakes == int((y_true != y_pred).sum())
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=list(range(10)),
                                                                      zero_division=0)
    rows = report_rows(m.report)
    assert [r["class"] for r in rows] == [str(d) for d in range(10)] + ["macro avg", "weighted avg"]
    for d in range(10):
        assert rows[d]["precision"] == pytest.approx(precision[d])
        assert rows[d]["recall"] == pytest.approx(recall[d])
        assert rows[d]["f1-score"] == pytest.approx(f1[d])
        assert rows[d]["support"] == support[d]


def test_the_report_is_sklearns_output_dict():
    y_true, y_pred = np.array([0, 1, 2, 2, 3, 9]), np.array([0, 1, 2, 3, 3, 8])
    expected = classification_report(y_true, y_pred, labels=list(range(10)), output_dict=True, zero_division=0)
    assert classification_metrics(y_true, y_pred).report == expected
    assert report_rows(expected)[2] == {"class": "2", "precision": 1.0, "recall": 0.5, "f1-score": pytest.approx(2 / 3),
                                        "support": 2}


def test_mismatched_predictions_are_refused():
    with pytest.raises(ValueError, match="as many predictions"):
        classification_metrics(np.array([1, 2, 3]), np.array([1, 2]))
    with pytest.raises(ValueError):
        classification_metrics(np.array([]), np.array([]))


def test_torch_predictions_are_the_argmax_in_batches_and_the_mode_is_kept():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, 16), torch.nn.ReLU(), torch.nn.Linear(16, 10), torch.nn.Dropout(0.5))
    x = np.random.default_rng(0).random((50, 784), dtype=np.float32)
    model.train()
    got = predict_torch(model, x, batch=7)
    assert model.training  # put back as it was
    model.eval()
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).argmax(dim=1).numpy()
    np.testing.assert_array_equal(got, expected)  # dropout was off (eval mode) while predicting
