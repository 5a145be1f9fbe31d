"""The model shelf: the digit models and runs one learner has, kept in the run store, shared by the
trainer and probe pages.

Pages never read each other's session keys: the trainer's runs (jobs that write into the run store),
the probe page's one-click models and every uploaded checkpoint are runs of kind "digits" in the
learner's workspace; the shelf is that workspace's view of them. They survive a reload and a server
restart; only the choice of the current model and the loaded weights are per session.

    shelf = StoreShelf(store, workspace)
    name = shelf.add(trained, how="one click on the probe page")   # a finished run in the store, now current
    shelf.names()                  # the runs with a model to probe (done, stopped, interrupted), oldest first
    shelf.get(name)                # its TrainedModel, loaded from its checkpoint once per shelf object
    shelf.current                  # the model the probe page opens first
    shelf.rows()                   # the run-history table, one dict a run (running ones too)
    shelf.curves()                 # run name -> metrics with a loss history, for the overlay chart

A diverged run is recorded (its row and its curves, to show what went wrong) but its weights are
garbage: it never becomes a model on the shelf. A failed run has no model either.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict
from typing import Any

from pytorch_explorer.digits.models import TrainedModel, save_checkpoint
from pytorch_explorer.runs.store import RunRecord, RunStore
from pytorch_explorer.runs.transfer import load_run_model

KIND = "digits"
MODEL_STATUSES = ("done", "stopped", "interrupted")  # runs whose checkpoint is a model worth probing
ENDED = ("done", "stopped", "diverged", "interrupted", "failed")
TRAINED_HERE = "trained on the trainer page"  # the "how" of a run the job runner trained


def record_row(record: RunRecord) -> dict[str, Any]:
    """One row of the run-history table: settings, accuracies, time, device."""
    h, m = record.config, record.summary
    seconds = sum(m["epoch_seconds"]) if m.get("epoch_seconds") else record.train_seconds
    return {
        "name": record.name,
        "how": m.get("how", "loaded from a file" if m.get("imported") else TRAINED_HERE),
        "mode": "article-faithful" if h.get("article_faithful", m.get("article_faithful")) else "fixed",
        "arch": h.get("arch", "mlp"),
        "status": record.status,
        "source": record.source,
        "hidden": h.get("hidden"),
        "depth": h.get("depth"),
        "activation": h.get("activation"),
        "optimizer": h.get("optimizer"),
        "lr": h.get("lr"),
        "batch_size": h.get("batch_size"),
        "epochs": h.get("epochs"),
        "seed": h.get("seed"),
        "train_acc": m.get("train_acc", record.train_acc),
        "val_acc": m.get("val_acc", record.val_acc),
        "seconds": round(float(seconds), 2),
        "samples_per_s": round(float(m.get("samples_per_s", record.samples_per_s) or 0.0)),
        "device": m.get("device", record.device),
        "fast_path": m.get("fast_path", ""),
    }


def metric_readings(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """A finished model's curves (loss_history, epoch_*) as the store's step and epoch readings."""
    total, epochs = int(metrics.get("total_steps") or 0), len(metrics.get("epoch_val_acc") or [])
    per_epoch = total / epochs if total and epochs else 0
    rows = [{"kind": "step", "step": int(s), "epoch": math.ceil(s / per_epoch) if per_epoch else 0,
             "loss": float(loss)} for s, loss in zip(metrics.get("loss_steps") or [], metrics.get("loss_history") or [],
                                                     strict=False)]
    losses, train = metrics.get("epoch_losses") or [], metrics.get("epoch_train_acc") or []
    for i, val in enumerate(metrics.get("epoch_val_acc") or []):
        rows.append({"kind": "epoch", "step": round(per_epoch * (i + 1)) if per_epoch else i + 1, "epoch": i + 1,
                     "loss": losses[i] if i < len(losses) else None, "val_acc": val,
                     "train_acc": train[i] if i < len(train) else None})
    return rows


def number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


class StoreShelf:
    """A workspace's digit runs and models in the run store, and which model this session has chosen."""

    def __init__(self, store: RunStore, workspace: str) -> None:
        self.store, self.workspace = store, workspace
        self._loaded: dict[str, tuple[tuple, TrainedModel]] = {}  # run id -> (its checkpoint's key, the model)
        self._added: list[dict[str, Any]] = []  # the metrics of the models added through this object
        self._current: str | None = None  # a run id
        self._chosen_at = 0.0  # when it was chosen (a model that ends later is newer than the choice)

    # ------------------------------------------------------------------ reading the store
    def records(self) -> list[RunRecord]:
        """The workspace's digit runs, oldest first (running and queued ones too)."""
        return self.store.list_runs(self.workspace, kind=KIND)[::-1]

    def model_records(self) -> dict[str, RunRecord]:
        """Name -> the run holding a model (newest of a name wins), oldest first."""
        found = {r.name: r for r in self.records() if r.status in MODEL_STATUSES and r.checkpoint is not None}
        return dict(sorted(found.items(), key=lambda item: (item[1].created, item[1].id)))

    def record_of(self, name: str) -> RunRecord | None:
        """The newest run called `name`, with or without a model."""
        return next((r for r in reversed(self.records()) if r.name == name), None)

    def __len__(self) -> int:
        return len(self.model_records())

    def __contains__(self, name: object) -> bool:
        return name in self.model_records()

    def names(self) -> list[str]:
        """The models' names, oldest first."""
        return list(self.model_records())

    def get(self, name: str) -> TrainedModel:
        """The model of the run called `name`, loaded once (weights_only=True) and kept by this object."""
        record = self.model_records().get(name)
        if record is None:
            raise KeyError(f"no model named {name!r} on the shelf")
        return self._load(record)

    def _load(self, record: RunRecord) -> TrainedModel:
        key = (record.checkpoint_epoch, record.finished)
        cached = self._loaded.get(record.id)
        if cached is None or cached[0] != key:
            trained = load_run_model(self.store, self.workspace, record.id)
            trained.metrics["status"] = record.status
            cached = self._loaded[record.id] = (key, trained)
        cached[1].name = record.name  # renamed since it was loaded
        return cached[1]

    def loaded(self) -> list[TrainedModel]:
        """The models this object has loaded (and still on the shelf)."""
        live = {r.id for r in self.model_records().values()}
        return [model for run_id, (_, model) in self._loaded.items() if run_id in live]

    @property
    def current(self) -> TrainedModel | None:
        """The model trained or loaded last, or the one chosen with `choose` since; None on an empty shelf."""
        models = list(self.model_records().values())
        if not models:
            return None
        newest = max(models, key=lambda r: (r.finished or r.created, r.created))
        chosen = next((r for r in models if r.id == self._current), None)
        if chosen is None or (newest.finished or newest.created) > self._chosen_at:
            chosen = newest
        return self._load(chosen)

    def choose(self, name: str) -> TrainedModel:
        """Make a model the current one (until a newer one ends or is added)."""
        model = self.get(name)
        self._current, self._chosen_at = self.model_records()[name].id, time.time()
        return model

    def metrics_of(self, name: str) -> dict[str, Any] | None:
        """A run's final metrics by name (a diverged run's too), or None."""
        record = self.record_of(name)
        return record.summary if record is not None else None

    def rows(self) -> list[dict[str, Any]]:
        """The run history, one dict a run, oldest first (fresh dicts: editing them changes nothing)."""
        return [record_row(r) for r in self.records()]

    def curves(self) -> dict[str, dict[str, Any]]:
        """Run name -> metrics, for the runs that recorded a loss history."""
        return {r.name: r.summary for r in self.records() if r.summary.get("loss_history")}

    def latest_by_mode(self) -> dict[str, dict[str, Any]]:
        """The latest finished run of each mode ("fixed", "article-faithful") with a real accuracy."""
        latest: dict[str, dict[str, Any]] = {}
        for row in self.rows():
            acc = row.get("val_acc")
            if row.get("status") == "done" and isinstance(acc, float) and not math.isnan(acc):
                latest[row["mode"]] = row
        return latest

    def unique_name(self, base: str) -> str:
        """`base`, or `base #2`, `base #3`, ... whichever no run of the workspace has yet."""
        taken = {r.name for r in self.records()}
        name, n = base, 2
        while name in taken:
            name, n = f"{base} #{n}", n + 1
        return name

    # ------------------------------------------------------------------ adding a model
    def add(self, trained: TrainedModel, how: str, *, name: str | None = None) -> str:
        """Keep a model trained or loaded in this process as a finished run of the store; returns its name.

        `trained.name` becomes the unique name given; the model (unless it diverged) becomes the current
        one. Adding the same model object again (a page rerun that repeats the call) changes nothing.
        """
        if any(metrics is trained.metrics for metrics in self._added):
            return trained.name
        trained.name = self.unique_name(name or trained.name)
        m = trained.metrics
        status = m.get("status") if m.get("status") in ENDED else "done"
        config = {**asdict(trained.config), **trained.hyperparameters}
        run_id = self.store.create_run(self.workspace, KIND, trained.name, config, source=trained.source)
        try:
            epochs = len(m.get("epoch_val_acc") or []) or int(trained.hyperparameters.get("epochs", 0) or 0)
            if status != "diverged":
                data = save_checkpoint(trained)
                assert data is not None
                self.store.write_checkpoint(run_id, data, epochs)
            self.store.record(run_id, metric_readings(m), steps=int(m.get("steps") or 0), epoch=epochs,
                              total_steps=int(m.get("total_steps") or 0), train_acc=number(m.get("train_acc")),
                              val_acc=number(m.get("val_acc")), samples_per_s=number(m.get("samples_per_s")) or 0.0,
                              train_seconds=number(m.get("train_seconds")) or 0.0, device=str(m.get("device", "")))
            self.store.finish(run_id, status, message=f"{how[:1].upper()}{how[1:]}.", summary={**m, "how": how})
        except BaseException:
            self.store.finish(run_id, "failed", message="Keeping the model did not complete.")
            self.store.delete(self.workspace, run_id)
            raise
        self._added.append(m)
        if status != "diverged":
            record = self.store.get(self.workspace, run_id)
            self._loaded[run_id] = ((record.checkpoint_epoch, record.finished), trained)
            self._current, self._chosen_at = run_id, record.finished or time.time()
        return trained.name
