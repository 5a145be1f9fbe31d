"""A fitted baseline kept in the run store (kind "baseline"), and the table beside the torch runs."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier

from pytorch_explorer.compare.baselines import BaselineResult
from pytorch_explorer.compare.runs import KIND, comparison_rows, record_baseline
from pytorch_explorer.runs import new_workspace_id, views


def fake_result(val_acc: float = 0.93, fit_seconds: float = 0.25) -> BaselineResult:
    """A result as fit_baseline returns it, without fitting anything."""
    return BaselineResult(model="knn", estimator=KNeighborsClassifier(n_neighbors=3), seed=0, source="bundled",
                          train_size=3500, val_size=1500, val_acc=val_acc, fit_seconds=fit_seconds,
                          predict_seconds=0.5, predictions=np.zeros(1500, np.int64))


def test_a_baseline_becomes_a_finished_run_with_its_accuracy_and_fit_time(store):
    ws = new_workspace_id()
    run_id = record_baseline(store, ws, fake_result())
    (run,) = store.list_runs(ws)
    assert (run.id, run.kind, run.status, run.source, run.name) == (run_id, KIND, "done", "bundled",
                                                                     "sklearn knn (bundled)")
    assert run.val_acc == pytest.approx(0.93) and run.train_seconds == pytest.approx(0.25)
    assert run.config["estimator"] == "KNeighborsClassifier" and run.config["params"]["n_neighbors"] == 3
    assert run.config["val_fraction"] == pytest.approx(0.3)
    assert run.summary["predict_seconds"] == 0.5 and run.checkpoint is None
    (row,) = views.run_rows([run], now=run.finished + 1)
    assert (row["page"], row["model"], row["accuracy"], row["fit/train s"]) == (
        "Digits: compare", "sklearn KNeighborsClassifier", pytest.approx(0.93), 0.25)


def test_the_comparison_lists_baselines_and_finished_digit_runs_only(store):
    ws = new_workspace_id()
    record_baseline(store, ws, fake_result(0.9, 1.5), name="my logreg")
    digits = store.create_run(ws, "digits", "wide net", {"hidden": 500, "depth": 2}, source="bundled",
                              status="interrupted", owned=False)
    store.record(digits, [], val_acc=0.97, train_seconds=9.0)
    store.finish(digits, "done", summary={"epoch_seconds": [2.0, 3.0]})
    store.create_run(ws, "toy", "toy net", {}, status="interrupted", owned=False)
    rows = {r["name"]: r for r in comparison_rows(store.list_runs(ws))}
    assert set(rows) == {"my logreg", "wide net"}
    assert rows["my logreg"]["family"] == "scikit-learn" and rows["my logreg"]["seconds"] == 1.5
    assert rows["wide net"] == {"name": "wide net", "family": "PyTorch", "model": "MLP 784-500-500-10",
                                "source": "bundled", "val_acc": 0.97, "seconds": 5.0}
