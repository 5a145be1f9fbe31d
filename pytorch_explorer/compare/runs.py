"""Baselines in the run store, beside the torch runs: each fit is a finished run of kind "baseline".

Its config holds the baseline's name, estimator class, parameters, seed and split; val_acc and
train_seconds (the fit time) are the store's own columns, so the Runs page shows them like a torch
run's; its summary is BaselineResult.summary() (with predict_seconds and the notes). No checkpoint: a
fitted scikit-learn estimator is not a PyTorch model (and pickles are never loaded here).

    run_id = record_baseline(store, workspace, result)
    rows = comparison_rows(store.list_runs(workspace))   # baselines and digit runs, for one table
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pytorch_explorer.compare.baselines import BaselineResult
from pytorch_explorer.runs.store import RunRecord, RunStore
from pytorch_explorer.runs.views import BASELINE_KIND, model_of

KIND = BASELINE_KIND
TORCH_KIND = "digits"
TORCH_OK = ("done", "stopped", "interrupted")


def run_name(result: BaselineResult) -> str:
    """"sklearn logreg (bundled)"."""
    return f"sklearn {result.model} ({result.source})"


def record_baseline(store: RunStore, workspace: str, result: BaselineResult, name: str | None = None) -> str:
    """Keep a fitted baseline as a finished run of `workspace`; returns its id."""
    config = {"model": result.model, "estimator": type(result.estimator).__name__, "params": result.params,
              "seed": result.seed, "val_fraction": round(1 - result.train_size / (result.train_size + result.val_size), 4)}
    # created "interrupted" (not owned): a process killed before `finish` leaves an honest status, never a false "done"
    run_id = store.create_run(workspace, KIND, name or run_name(result), config, source=result.source,
                              status="interrupted", owned=False)
    store.record(run_id, [], val_acc=result.val_acc, train_seconds=result.fit_seconds, device="cpu")
    store.finish(run_id, "done", message=f"Fitted {result.title} with scikit-learn.", summary=result.summary())
    return run_id


def seconds_of(record: RunRecord) -> float | None:
    """The fit time of a baseline, the training time of a torch run (its epochs' seconds when known)."""
    epochs = record.summary.get("epoch_seconds")
    if record.kind == TORCH_KIND and isinstance(epochs, list) and epochs:
        return float(sum(epochs))
    return float(record.train_seconds) if record.train_seconds else None


def comparison_rows(records: Iterable[RunRecord]) -> list[dict[str, Any]]:
    """The baselines and the finished torch digit runs: name, family, model, source, val_acc, seconds."""
    rows = []
    for r in records:
        if (r.kind == KIND and r.status == "done") or (r.kind == TORCH_KIND and r.status in TORCH_OK):
            rows.append({"name": r.name, "family": "scikit-learn" if r.kind == KIND else "PyTorch",
                         "model": model_of(r), "source": r.source, "val_acc": r.val_acc, "seconds": seconds_of(r)})
    return rows
