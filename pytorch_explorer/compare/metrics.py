"""How good a classifier is, class by class, with `sklearn.metrics`: the same numbers for a scikit-learn
baseline and a PyTorch model, both judged on the validation digits.

    metrics = classification_metrics(y_val, predictions)
    metrics.accuracy              # accuracy_score, as the article measures it
    metrics.confusion             # confusion_matrix: row = true digit, column = predicted digit
    report_rows(metrics.report)   # classification_report(output_dict=True) as table rows
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from sklearn.metrics import accuracy_score, classification_report, confusion_matrix
from torch import nn

CLASSES = list(range(10))
SUMMARY_ROWS = ("accuracy", "macro avg", "weighted avg")


@dataclass(frozen=True)
class ClassMetrics:
    """accuracy_score, confusion_matrix and classification_report(output_dict=True) of one set of predictions."""

    accuracy: float
    confusion: np.ndarray  # (10, 10) int: [true digit, predicted digit]
    report: dict[str, Any]

    @property
    def mistakes(self) -> int:
        return int(self.confusion.sum() - np.trace(self.confusion))


def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> ClassMetrics:
    """The three sklearn.metrics views of predictions against the true labels (digits 0-9)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1 or not len(y_true):
        raise ValueError(f"need as many predictions as labels (one each), got {y_pred.shape} and {y_true.shape}")
    return ClassMetrics(
        accuracy=float(accuracy_score(y_true, y_pred)),
        confusion=confusion_matrix(y_true, y_pred, labels=CLASSES),
        report=classification_report(y_true, y_pred, labels=CLASSES, output_dict=True, zero_division=0),
    )


def report_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """classification_report(output_dict=True) as table rows: one a digit, then macro and weighted averages.

    (The report's "accuracy" entry is a bare number; it is shown on its own, not as a row.)"""
    rows = []
    for name, values in report.items():
        if not isinstance(values, dict):
            continue
        rows.append({"class": name, "precision": float(values["precision"]), "recall": float(values["recall"]),
                     "f1-score": float(values["f1-score"]), "support": int(values["support"])})
    return rows


@torch.no_grad()
def predict_torch(model: nn.Module, inputs: np.ndarray, batch: int = 2048) -> np.ndarray:
    """A PyTorch model's predicted labels (argmax of its outputs) for float rows of 784 pixels in [0, 1].

    Any nn.Module taking (N, 784) works (an MLP, a CNN that reshapes its input); evaluated in eval() mode
    on the model's own device, and left in the mode it was in."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        x = torch.from_numpy(np.ascontiguousarray(inputs, dtype=np.float32))
        out = [model(x[i:i + batch].to(device)).argmax(dim=1).cpu() for i in range(0, len(x), batch)]
    finally:
        model.train(was_training)
    return torch.cat(out).numpy() if out else np.zeros(0, np.int64)
