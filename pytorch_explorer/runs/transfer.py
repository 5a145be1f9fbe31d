"""Runs in and out of the store: a run's metrics as JSON or CSV, its model, and importing a `.pt` file.

    export_json(store, workspace, run_id)  -> str     the run (config, status, timings) with all its metrics
    export_csv(store, workspace, run_id)   -> str     one row per step or epoch reading
    store.checkpoint_bytes(workspace, run_id) -> bytes  the .pt file itself
    load_run_model(store, workspace, run_id) -> TrainedModel   (weights_only=True)
    import_checkpoint(store, workspace, data, name=None) -> run_id   a "done" run holding the uploaded model

Imported files go through `models.load_checkpoint` (weights_only=True) before anything is stored: a file
that is not a PyTorch Explorer digit model is a CheckpointError and leaves no run behind.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict
from typing import Any

from pytorch_explorer.core.errors import CheckpointError, Term
from pytorch_explorer.digits.models import TrainedModel, load_checkpoint, save_checkpoint
from pytorch_explorer.runs.store import METRIC_FIELDS, RunStore

MAX_IMPORT_BYTES = 512 * 2**20  # a 784-8192x3-10 MLP is about 0.6 GB: larger files are not ours


def plain(value: Any) -> Any:
    """JSON-safe: NaN and infinities become None (standard JSON has no NaN), containers recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def export_json(store: RunStore, workspace: str, run_id: str) -> str:
    """The run and all its metrics as one JSON document (indented; NaN written as null)."""
    record = store.get(workspace, run_id)
    run = asdict(record)
    run["checkpoint"] = record.checkpoint.name if record.checkpoint is not None else None
    run.pop("workspace")
    run.pop("stop_request")
    run.pop("pid")
    document = {"format": "pytorch-explorer/run/1", "run": run,
                "steps": store.metrics(workspace, run_id, "step"), "epochs": store.metrics(workspace, run_id, "epoch")}
    return json.dumps(plain(document), indent=1, allow_nan=False)


def export_csv(store: RunStore, workspace: str, run_id: str) -> str:
    """The run's step and epoch readings as CSV (columns: METRIC_FIELDS), in step order, epochs after steps."""
    rows = store.metrics(workspace, run_id, "step") + store.metrics(workspace, run_id, "epoch")
    rows.sort(key=lambda r: (r["step"], r["kind"] == "epoch"))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(METRIC_FIELDS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def load_run_model(store: RunStore, workspace: str, run_id: str) -> TrainedModel:
    """The model in the run's latest checkpoint (loaded with weights_only=True), named after the run."""
    record = store.get(workspace, run_id)
    trained = load_checkpoint(store.checkpoint_bytes(workspace, run_id), name=record.name)
    trained.name = record.name  # renamed in the store since the file was written
    return trained


def import_checkpoint(store: RunStore, workspace: str, data: bytes, name: str | None = None,
                      kind: str = "digits") -> str:
    """Check `data` is a digit-model checkpoint (weights_only=True), then keep it as a finished run."""
    if len(data) > MAX_IMPORT_BYTES:
        raise CheckpointError("The file is {size:.0f} MB: larger than any digit model ({most} MB at most).",
                              size=len(data) / 2**20, most=MAX_IMPORT_BYTES // 2**20)
    trained = load_checkpoint(bytes(data), name=name or Term("the uploaded file"))
    trained.name = name = name or trained.name
    metrics = {k: v for k, v in trained.metrics.items() if not isinstance(v, list)}
    config = {**trained.hyperparameters, **asdict(trained.config)}
    run_id = store.create_run(workspace, kind, name, config, source=trained.source, status="queued", owned=True)
    try:
        checkpoint = save_checkpoint(trained)
        assert checkpoint is not None
        epochs = int(trained.hyperparameters.get("epochs", 0) or 0)
        store.write_checkpoint(run_id, checkpoint, epochs)
        store.record(run_id, [], epoch=epochs, train_acc=_number(metrics.get("train_acc")),
                     val_acc=_number(metrics.get("val_acc")), samples_per_s=_number(metrics.get("samples_per_s")) or 0.0,
                     device=str(metrics.get("device", "")))
        store.finish(run_id, "done", message="Imported from a .pt file.", summary={**trained.metrics, "imported": True})
    except BaseException:
        store.finish(run_id, "failed", message="The import did not complete.")
        store.delete(workspace, run_id)
        raise
    return run_id


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
