"""Export (JSON, CSV, the .pt bytes) and import of a .pt checkpoint (weights_only=True)."""

from __future__ import annotations

import csv
import io
import json
import pickle

import pytest
import torch

from pytorch_explorer.core.errors import CheckpointError
from pytorch_explorer.digits.data import load_digits
from pytorch_explorer.digits.models import save_checkpoint
from pytorch_explorer.digits.training import TrainConfig, train_to_completion
from pytorch_explorer.runs import (RunNotFound, RunStore, export_csv, export_json, import_checkpoint, load_run_model,
                                   new_workspace_id)
from pytorch_explorer.runs.store import METRIC_FIELDS


@pytest.fixture(scope="module")
def trained():
    return train_to_completion(TrainConfig(hidden=16, epochs=1))


def test_an_imported_checkpoint_becomes_a_finished_run_whose_model_predicts_the_same(store, trained):
    workspace = new_workspace_id()
    run_id = import_checkpoint(store, workspace, save_checkpoint(trained), name="from my laptop")
    run = store.get(workspace, run_id)
    assert (run.status, run.name, run.kind, run.source) == ("done", "from my laptop", "digits", "bundled")
    assert run.config["hidden"] == 16 and run.val_acc == pytest.approx(trained.metrics["val_acc"])
    assert run.summary["imported"] is True
    images = torch.as_tensor(load_digits("bundled").images[:20])
    loaded = load_run_model(store, workspace, run_id)
    assert loaded.name == "from my laptop"
    assert torch.equal(loaded.predict_proba(images), trained.predict_proba(images))
    exported = store.checkpoint_bytes(workspace, run_id)  # the .pt file round-trips too
    again = import_checkpoint(store, workspace, exported)
    assert torch.equal(load_run_model(store, workspace, again).predict_proba(images), trained.predict_proba(images))
    with pytest.raises(RunNotFound):
        load_run_model(store, new_workspace_id(), run_id)


class Evil:
    def __reduce__(self):
        return (print, ("pwned",))


@pytest.mark.parametrize("data", [b"", b"not a model", pickle.dumps(Evil()), None])
def test_a_file_that_is_not_a_model_is_refused_and_leaves_no_run(store, data, capsys):
    if data is None:  # a real torch file holding a pickled object: weights_only refuses it
        buffer = io.BytesIO()
        torch.save({"format": "pytorch-explorer/digit-mlp/1", "evil": Evil()}, buffer)
        data = buffer.getvalue()
    workspace = new_workspace_id()
    with pytest.raises(CheckpointError):
        import_checkpoint(store, workspace, data)
    assert store.list_runs(workspace) == [] and "pwned" not in capsys.readouterr().out


def add_run_with_metrics(store: RunStore, workspace: str) -> str:
    run_id = store.create_run(workspace, "digits", "exported", {"hidden": 16}, source="bundled")
    store.claim(run_id, pid=1)
    store.record(run_id, [{"kind": "step", "step": s, "epoch": 1, "loss": 1.0 / s} for s in (1, 2)], steps=2)
    store.record(run_id, [{"kind": "epoch", "step": 2, "epoch": 1, "loss": 0.7, "val_acc": 0.5}], val_acc=0.5)
    store.record(run_id, [{"kind": "step", "step": 3, "epoch": 2, "loss": float("nan")}], steps=3)
    store.finish(run_id, "diverged", "The loss reached nan.", summary={"loss_history": [1.0, 0.5, float("nan")]})
    return run_id


def test_export_json_holds_the_run_and_every_reading_as_standard_json(store):
    workspace = new_workspace_id()
    run_id = add_run_with_metrics(store, workspace)
    document = json.loads(export_json(store, workspace, run_id))
    assert document["format"] == "pytorch-explorer/run/1"
    assert document["run"]["status"] == "diverged" and document["run"]["config"] == {"hidden": 16}
    assert "workspace" not in document["run"]  # an exported file does not carry the secret id
    assert [s["step"] for s in document["steps"]] == [1, 2, 3] and document["steps"][2]["loss"] is None
    assert document["epochs"][0]["val_acc"] == 0.5 and document["run"]["summary"]["loss_history"][2] is None


def test_export_csv_has_one_row_per_reading(store):
    workspace = new_workspace_id()
    run_id = add_run_with_metrics(store, workspace)
    rows = list(csv.DictReader(io.StringIO(export_csv(store, workspace, run_id))))
    assert list(rows[0]) == list(METRIC_FIELDS)
    assert [(r["kind"], r["step"]) for r in rows] == [("step", "1"), ("step", "2"), ("epoch", "2"), ("step", "3")]
    with pytest.raises(RunNotFound):
        export_csv(store, new_workspace_id(), run_id)
