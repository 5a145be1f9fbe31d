"""The model shelf: the digit models and runs one learner has, shared by the trainer and probe pages.

Pages never read each other's session keys: the trainer puts what it trained on the shelf, the probe
page takes models from it. One shelf per browser session (the UI keeps it in its session state).

    shelf = ModelShelf()
    name = shelf.add(trained, how="trained on the trainer page")   # a unique name, now the current model
    shelf.current                  # the TrainedModel the probe page opens first
    shelf.rows()                   # the run-history table, one dict a run
    shelf.curves()                 # run name -> metrics with a loss history, for the overlay chart

A diverged run is recorded (its row and its curves, to show what went wrong) but its weights are
garbage: it never becomes a model on the shelf.
"""

from __future__ import annotations

import math
from typing import Any

from pytorch_explorer.digits.models import TrainedModel


def history_row(name: str, trained: TrainedModel, how: str) -> dict[str, Any]:
    """One row of the run-history table: settings, accuracies, time, device."""
    h, m = trained.hyperparameters, trained.metrics
    return {
        "name": name,
        "how": how,
        "mode": "article-faithful" if h.get("article_faithful", m.get("article_faithful")) else "fixed",
        "status": m.get("status", "?"),
        "source": trained.source,
        "hidden": h.get("hidden", trained.config.hidden),
        "depth": h.get("depth", trained.config.depth),
        "activation": h.get("activation", trained.config.activation),
        "optimizer": h.get("optimizer"),
        "lr": h.get("lr"),
        "batch_size": h.get("batch_size"),
        "epochs": h.get("epochs"),
        "seed": h.get("seed"),
        "train_acc": m.get("train_acc"),
        "val_acc": m.get("val_acc"),
        "seconds": round(float(sum(m.get("epoch_seconds", []))), 2),
        "samples_per_s": round(float(m.get("samples_per_s", 0.0))),
        "device": m.get("device"),
        "fast_path": m.get("fast_path", ""),
    }


class ModelShelf:
    """Named digit models, the history of the runs that made them, and which model is current."""

    def __init__(self) -> None:
        self._models: dict[str, TrainedModel] = {}
        self._rows: list[dict[str, Any]] = []
        self._metrics: dict[str, dict[str, Any]] = {}  # every run's metrics by name, diverged ones too
        self._current: str | None = None

    def __len__(self) -> int:
        return len(self._models)

    def __contains__(self, name: object) -> bool:
        return name in self._models

    def unique_name(self, base: str) -> str:
        """`base`, or `base #2`, `base #3`, ... whichever no run or model has yet."""
        name, n = base, 2
        while name in self._models or name in self._metrics:
            name, n = f"{base} #{n}", n + 1
        return name

    def add(self, trained: TrainedModel, how: str, *, name: str | None = None) -> str:
        """Record a run and keep its model (unless it diverged) as the current one; returns its name.

        `trained.name` becomes the unique name given. Adding the same model object again (a page rerun
        that repeats the call) changes nothing, whether the run was kept or diverged.
        """
        if any(metrics is trained.metrics for metrics in self._metrics.values()):
            return trained.name
        trained.name = self.unique_name(name or trained.name)
        self._rows.append(history_row(trained.name, trained, how))
        self._metrics[trained.name] = trained.metrics
        if trained.metrics.get("status") != "diverged":
            self._models[trained.name] = trained
            self._current = trained.name
        return trained.name

    def names(self) -> list[str]:
        """The models' names, oldest first."""
        return list(self._models)

    def get(self, name: str) -> TrainedModel:
        if name not in self._models:
            raise KeyError(f"no model named {name!r} on the shelf")
        return self._models[name]

    @property
    def current(self) -> TrainedModel | None:
        """The model trained or loaded last (or chosen with `choose`); None on an empty shelf."""
        return self._models.get(self._current) if self._current is not None else None

    def choose(self, name: str) -> TrainedModel:
        """Make a model the current one."""
        model = self.get(name)
        self._current = name
        return model

    def metrics_of(self, name: str) -> dict[str, Any] | None:
        """A run's metrics by name (a diverged run's too), or None."""
        return self._metrics.get(name)

    def rows(self) -> list[dict[str, Any]]:
        """The run history, one dict a run, oldest first (copies: editing them changes nothing here)."""
        return [dict(row) for row in self._rows]

    def curves(self) -> dict[str, dict[str, Any]]:
        """Run name -> metrics, for the runs that recorded a loss history."""
        return {name: m for name, m in self._metrics.items() if m.get("loss_history")}

    def latest_by_mode(self) -> dict[str, dict[str, Any]]:
        """The latest finished run of each mode ("fixed", "article-faithful") with a real accuracy."""
        latest: dict[str, dict[str, Any]] = {}
        for row in self._rows:
            acc = row.get("val_acc")
            if row.get("status", "done") == "done" and isinstance(acc, float) and not math.isnan(acc):
                latest[row["mode"]] = dict(row)
        return latest
