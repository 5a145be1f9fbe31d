"""The model shelf the trainer and probe pages share."""

from __future__ import annotations

import math

import pytest

from pytorch_explorer.digits.models import MLPConfig, TrainedModel, build_mlp
from pytorch_explorer.digits.shelf import ModelShelf


def model(status: str = "done", val_acc: float = 0.9, faithful: bool = False, name: str = "run") -> TrainedModel:
    config = MLPConfig(hidden=4)
    return TrainedModel(build_mlp(config), config, hyperparameters={"article_faithful": faithful, "lr": 0.001},
                        metrics={"status": status, "val_acc": val_acc, "train_acc": val_acc,
                                 "loss_history": [2.3, 1.0], "epoch_seconds": [0.5, 0.25]}, name=name)


def test_an_empty_shelf_has_no_current_model():
    shelf = ModelShelf()
    assert shelf.current is None and shelf.names() == [] and shelf.rows() == [] and len(shelf) == 0


def test_added_models_get_unique_names_and_the_last_is_current():
    shelf = ModelShelf()
    a, b = model(name="quick"), model(name="quick")
    assert shelf.add(a, "one click") == "quick"
    assert shelf.add(b, "one click") == "quick #2"
    assert b.name == "quick #2" and shelf.current is b and shelf.names() == ["quick", "quick #2"]
    assert shelf.choose("quick") is a and shelf.current is a
    rows = shelf.rows()
    assert [r["name"] for r in rows] == ["quick", "quick #2"] and rows[0]["how"] == "one click"
    assert rows[0]["seconds"] == 0.75 and rows[0]["mode"] == "fixed"


def test_adding_the_same_model_twice_records_it_once():
    shelf, a = ModelShelf(), model()
    shelf.add(a, "x")
    shelf.add(a, "x")
    assert len(shelf.rows()) == 1 and len(shelf) == 1


def test_adding_the_same_diverged_run_twice_records_it_once():
    shelf, bad = ModelShelf(), model(status="diverged", val_acc=math.nan, name="bad")
    assert shelf.add(bad, "x") == shelf.add(bad, "x") == "bad"
    assert len(shelf.rows()) == 1 and len(shelf) == 0


def test_a_diverged_run_is_recorded_but_never_becomes_a_model():
    shelf, good = ModelShelf(), model(name="good")
    shelf.add(good, "trained")
    bad = model(status="diverged", val_acc=math.nan, name="bad")
    assert shelf.add(bad, "trained") == "bad"
    assert "bad" not in shelf and shelf.current is good
    assert shelf.metrics_of("bad")["status"] == "diverged" and set(shelf.curves()) == {"good", "bad"}
    assert shelf.unique_name("bad") == "bad #2"  # its name stays taken
    with pytest.raises(KeyError):
        shelf.get("bad")


def test_latest_by_mode_compares_the_fixed_and_the_article_loop():
    shelf = ModelShelf()
    shelf.add(model(val_acc=0.8), "t")
    shelf.add(model(val_acc=0.95), "t")
    shelf.add(model(val_acc=0.7, faithful=True), "t")
    shelf.add(model(status="stopped", val_acc=0.1, faithful=True), "t")
    latest = shelf.latest_by_mode()
    assert latest["fixed"]["val_acc"] == 0.95 and latest["article-faithful"]["val_acc"] == 0.7


def test_rows_are_copies():
    shelf = ModelShelf()
    shelf.add(model(), "t")
    shelf.rows()[0]["name"] = "changed"
    assert shelf.rows()[0]["name"] == "run"
