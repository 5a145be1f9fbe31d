"""The Toy networks page's runs in the run store, so that they survive a reload and a server restart and
show on the Runs page.

A side-by-side training is one run per implementation (kind "toy"): its config is the ToySettings (plus
the implementation and the batch it was trained in), its "step" metrics the loss of each epoch (thinned
to at most MAX_POINTS, always with the first and the last), its summary what the page shows after
training (predictions, initial and final weights). A playground network is one run (kind
"toy-playground"), brought up to date each time Train finishes.

    record_side_by_side(store, workspace, results, seconds)   # after training (or a stop)
    results = latest_side_by_side(store, workspace)            # impl -> ToyResult, {} if none yet
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

import numpy as np

from pytorch_explorer.runs.store import RunRecord, RunStore
from pytorch_explorer.runs.workspaces import RunNotFound
from pytorch_explorer.playground.trainer import PlaygroundTrainer
from pytorch_explorer.toy.settings import ARTICLE_Y, ToySettings, ToySettingsError, ToyWeights
from pytorch_explorer.toy.training import ToyResult

KIND, PLAYGROUND_KIND = "toy", "toy-playground"
MAX_POINTS = 400  # per stored curve: half spread evenly, half geometrically (the early fall shows)

__all__ = ["KIND", "MAX_POINTS", "PLAYGROUND_KIND", "fit_accuracy", "latest_side_by_side", "playground_name",
           "record_playground", "record_side_by_side", "result_of", "run_name", "thin_indices"]


def thin_indices(n: int, max_points: int = MAX_POINTS) -> list[int]:
    """At most `max_points` indices of a curve of `n` points, in order, always with the first and the last:
    half evenly spaced, half geometrically (dense at the start, where a loss falls fastest)."""
    if n <= max_points:
        return list(range(n))
    half = max_points // 2
    spread = np.concatenate([np.linspace(0, n - 1, half), np.geomspace(1, n, max_points - half) - 1])
    keep = sorted({0, n - 1, *(int(round(i)) for i in spread)})
    if len(keep) > max_points:  # rounding rarely leaves more: drop from the middle, keep both ends
        middle, step = keep[1:-1], (len(keep) - 2) / (max_points - 2)
        keep = [keep[0], *(middle[int(i * step)] for i in range(max_points - 2)), keep[-1]]
    return keep


def run_name(impl: str, settings: ToySettings) -> str:
    """"toy: numpy (lr 0.1, 5000 epochs)"."""
    return f"toy: {impl} (lr {settings.lr:g}, {settings.epochs} epochs)"


def _weights(weights: ToyWeights | None) -> dict[str, list] | None:
    return None if weights is None else {k: v.tolist() for k, v in weights.as_dict().items()}


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) else math.nan  # SQLite keeps a NaN as NULL


def record_side_by_side(store: RunStore, workspace: str, results: Mapping[str, ToyResult],
                        seconds: float | None = None) -> list[str]:
    """Store each trained result as a run of `workspace` ("done", or "stopped" short of its epochs); a result
    that never trained an epoch is left out. Returns the new run ids, in the order of `results`."""
    batch, ids = secrets.token_hex(6), []
    for position, (impl, result) in enumerate(results.items()):
        if not result.losses or result.predictions is None:
            continue
        s = result.settings
        epochs, losses = result.curve
        keep = thin_indices(len(losses))
        # created "interrupted": a process killed before `finish` leaves an honest status, never a false "done"
        run_id = store.create_run(workspace, KIND, run_name(impl, s),
                                  {**asdict(s), "impl": impl, "batch": batch, "position": position},
                                  source="article", status="interrupted", owned=False)
        store.record(run_id, [{"kind": "step", "step": epochs[i], "epoch": epochs[i], "loss": losses[i]} for i in keep],
                     steps=result.epochs, total_steps=s.epochs, epoch=result.epochs, loss=result.final_loss,
                     train_acc=fit_accuracy(result.predictions), train_seconds=seconds or 0.0,
                     elapsed_s=seconds or 0.0, device="cpu")
        finished = result.epochs >= s.epochs
        store.finish(run_id, "done" if finished else "stopped",
                     "" if finished else f"Stopped at epoch {result.epochs} of {s.epochs}.",
                     summary={"epochs": result.epochs, "final_loss": result.final_loss,
                              "predictions": result.predictions.tolist(), "initial": _weights(result.initial),
                              "final": _weights(result.final)})
        ids.append(run_id)
    return ids


def fit_accuracy(predictions: np.ndarray) -> float:
    """The share of the article's three samples the network gets on the right side of 0.5."""
    y = np.asarray(ARTICLE_Y, dtype=float).ravel()
    return float(np.mean((np.asarray(predictions).ravel() > 0.5) == (y > 0.5)))


def result_of(store: RunStore, record: RunRecord) -> ToyResult:
    """A stored toy run back as the ToyResult the page shows (its loss curve thinned); ToySettingsError if
    the run does not hold one (another kind, or cut off before it was finished)."""
    summary, config = record.summary, dict(record.config)
    if record.kind != KIND or "initial" not in summary:
        raise ToySettingsError("the run {name!r} holds no toy-network result.", name=record.name)
    impl = config.pop("impl")
    for key in ("batch", "position"):
        config.pop(key, None)
    steps = store.metrics(record.workspace, record.id, "step")
    final = summary.get("final")
    return ToyResult(impl, ToySettings(**config), ToyWeights.from_arrays(summary["initial"]),
                     losses=[_number(m["loss"]) for m in steps], predictions=np.array(summary["predictions"]),
                     final=ToyWeights.from_arrays(final) if final else None,
                     loss_epochs=[m["step"] for m in steps])


def latest_side_by_side(store: RunStore, workspace: str) -> dict[str, ToyResult]:
    """The workspace's latest side-by-side training, impl -> ToyResult in the order they were trained; {} if
    it has none. Runs of it that were deleted (on the Runs page) are left out."""
    finished = [r for r in store.list_runs(workspace, kind=KIND) if "initial" in r.summary and "batch" in r.config]
    if not finished:
        return {}
    batch = finished[0].config["batch"]
    runs = sorted((r for r in finished if r.config["batch"] == batch), key=lambda r: r.config.get("position", 0))
    results = {}
    for record in runs:
        result = result_of(store, record)
        results[result.impl] = result
    return results


def playground_name(trainer: PlaygroundTrainer) -> str:
    """"playground: circles, 4-2 tanh, SGD lr 0.03"."""
    return f"playground: {trainer.config.describe()}"


def record_playground(store: RunStore, workspace: str, trainer: PlaygroundTrainer, run_id: str | None = None,
                      seconds: float = 0.0) -> str:
    """Store a playground network's training so far as a run (kind "toy-playground"): a new one, or `run_id`
    brought up to date (training goes on from where it stopped; a new one if it was deleted). Its "step"
    metrics are the training loss (and accuracy) after each epoch, epoch 0 being the starting weights; it ends
    "done", or "stopped" with the reason when the loss diverged. Returns the run's id."""
    if run_id is not None:
        try:
            store.get(workspace, run_id)
        except RunNotFound:
            run_id = None
    config = trainer.config
    if run_id is None:
        run_id = store.create_run(workspace, PLAYGROUND_KIND, playground_name(trainer), asdict(config),
                                  source=config.problem, status="interrupted", owned=False)
    losses, accuracies = trainer.train_losses, trainer.train_accuracies
    elapsed = store.run(run_id).train_seconds + seconds
    rows = [{"kind": "step", "step": i, "epoch": i, "loss": losses[i],
             "accuracy": accuracies[i] if i < len(accuracies) else None}
            for i in thin_indices(len(losses))]  # a history only grows: points stored before stay true
    store.record(run_id, rows, steps=trainer.epoch, total_steps=trainer.epoch, epoch=trainer.epoch,
                 loss=losses[-1] if losses else None, train_acc=trainer.accuracy,
                 train_seconds=elapsed, elapsed_s=elapsed, device="cpu")
    summary = {"epochs": trainer.epoch, "accuracy": trainer.accuracy,  # JSON: a nan or inf loss is kept as None
               "train_loss": losses[-1] if math.isfinite(losses[-1]) else None,
               "test_loss": trainer.test_losses[-1] if math.isfinite(trainer.test_losses[-1]) else None}
    if trainer.diverged:
        store.finish(run_id, "stopped", f"The loss diverged at epoch {trainer.diverged_at}.", summary=summary)
    else:
        store.finish(run_id, "done", summary=summary)
    return run_id
