"""The model shelf the trainer and probe pages share: a workspace's digit runs in the run store."""

from __future__ import annotations

import math

import pytest

from pytorch_explorer.digits.models import MLPConfig, TrainedModel, build_mlp
from pytorch_explorer.digits.shelf import StoreShelf
from pytorch_explorer.runs import RunStore, new_workspace_id


def model(status: str = "done", val_acc: float = 0.9, faithful: bool = False, name: str = "run") -> TrainedModel:
    config = MLPConfig(hidden=4)
    return TrainedModel(build_mlp(config), config, hyperparameters={"article_faithful": faithful, "lr": 0.001},
                        metrics={"status": status, "val_acc": val_acc, "train_acc": val_acc,
                                 "loss_history": [2.3, 1.0], "loss_steps": [5, 10], "epoch_val_acc": [0.5, val_acc],
                                 "total_steps": 10, "epoch_seconds": [0.5, 0.25]}, name=name)


@pytest.fixture
def shelf(store):
    return StoreShelf(store, new_workspace_id())


def test_an_empty_shelf_has_no_current_model(shelf):
    assert shelf.current is None and shelf.names() == [] and shelf.rows() == [] and len(shelf) == 0


def test_added_models_get_unique_names_and_the_last_is_current(shelf):
    a, b = model(name="quick"), model(name="quick")
    assert shelf.add(a, "one click") == "quick"
    assert shelf.add(b, "one click") == "quick #2"
    assert b.name == "quick #2" and shelf.current is b and shelf.names() == ["quick", "quick #2"]
    assert shelf.choose("quick") is a and shelf.current is a
    rows = shelf.rows()
    assert [r["name"] for r in rows] == ["quick", "quick #2"] and rows[0]["how"] == "one click"
    assert rows[0]["seconds"] == 0.75 and rows[0]["mode"] == "fixed" and rows[0]["status"] == "done"


def test_adding_the_same_model_twice_records_it_once(shelf):
    a = model()
    shelf.add(a, "x")
    shelf.add(a, "x")
    assert len(shelf.rows()) == 1 and len(shelf) == 1


def test_adding_the_same_diverged_run_twice_records_it_once(shelf):
    bad = model(status="diverged", val_acc=math.nan, name="bad")
    assert shelf.add(bad, "x") == shelf.add(bad, "x") == "bad"
    assert len(shelf.rows()) == 1 and len(shelf) == 0


def test_a_diverged_run_is_recorded_but_never_becomes_a_model(shelf):
    good = model(name="good")
    shelf.add(good, "trained")
    bad = model(status="diverged", val_acc=math.nan, name="bad")
    assert shelf.add(bad, "trained") == "bad"
    assert "bad" not in shelf and shelf.current is good
    assert shelf.metrics_of("bad")["status"] == "diverged" and set(shelf.curves()) == {"good", "bad"}
    assert shelf.unique_name("bad") == "bad #2"  # its name stays taken
    with pytest.raises(KeyError):
        shelf.get("bad")


def test_latest_by_mode_compares_the_fixed_and_the_article_loop(shelf):
    shelf.add(model(val_acc=0.8), "t")
    shelf.add(model(val_acc=0.95), "t")
    shelf.add(model(val_acc=0.7, faithful=True), "t")
    shelf.add(model(status="stopped", val_acc=0.1, faithful=True), "t")
    latest = shelf.latest_by_mode()
    assert latest["fixed"]["val_acc"] == 0.95 and latest["article-faithful"]["val_acc"] == 0.7


def test_rows_are_copies(shelf):
    shelf.add(model(), "t")
    shelf.rows()[0]["name"] = "changed"
    assert shelf.rows()[0]["name"] == "run"


# ----------------------------------------------------------------------------- what the store adds
def test_the_models_survive_a_new_session_and_a_restart_but_not_another_workspace(tmp_path):
    store = RunStore(tmp_path / "runs")
    workspace = new_workspace_id()
    a = model(name="kept", val_acc=0.91)
    StoreShelf(store, workspace).add(a, "one click")
    store.close()

    restarted = RunStore(tmp_path / "runs")  # a new server on the same data folder
    again = StoreShelf(restarted, workspace)
    assert again.names() == ["kept"] and again.rows()[0]["how"] == "one click"
    loaded = again.current
    assert loaded is not a and loaded.name == "kept" and loaded.metrics["val_acc"] == 0.91
    for ours, theirs in zip(a.model.parameters(), loaded.model.parameters(), strict=True):
        assert (ours == theirs).all()
    assert again.get("kept") is loaded  # loaded once per shelf object
    steps = restarted.metrics(workspace, restarted.list_runs(workspace)[0].id)
    assert [(r["step"], r["loss"]) for r in steps] == [(5, 2.3), (10, 1.0)]  # the curve, for the Runs page
    assert StoreShelf(restarted, new_workspace_id()).names() == []
    restarted.close()


def test_a_rename_in_the_store_shows_on_the_shelf(shelf, store):
    shelf.add(model(name="old"), "t")
    store.rename(shelf.workspace, shelf.records()[0].id, "new name")
    assert shelf.names() == ["new name"] and shelf.get("new name").name == "new name"


def test_running_and_failed_runs_are_rows_but_not_models(shelf, store):
    from pytorch_explorer.digits.training import TrainConfig

    running = store.create_run(shelf.workspace, "digits", "live", TrainConfig(hidden=16).as_dict())
    failed = store.create_run(shelf.workspace, "digits", "broken", TrainConfig(device="cuda").as_dict())
    store.finish(failed, "failed", "no CUDA")
    store.create_run(shelf.workspace, "toy", "not a digit run", {}, status="done")
    assert [(r["name"], r["status"], r["hidden"]) for r in shelf.rows()] == [
        ("live", "queued", 16), ("broken", "failed", 500)]
    assert len(shelf) == 0 and shelf.current is None
    store.finish(running, "stopped", "stopped")
    assert len(shelf) == 0  # stopped before its first checkpoint: nothing to probe
