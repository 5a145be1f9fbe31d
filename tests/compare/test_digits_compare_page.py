"""The Digits: compare page (AppTest): fit a baseline, its metrics table, the maps (raw pixels only without a
model, both with one), the one-click model, the Runs page listing the baseline, and hostile URL values."""

from __future__ import annotations

import json

import pytest
import torch
from conftest import open_in_app, url_notes
from threadpoolctl import threadpool_limits

from pytorch_explorer.digits.models import MLPConfig, TrainedModel, build_mlp
from pytorch_explorer.digits.shelf import StoreShelf
from pytorch_explorer.runs import RunStore, new_workspace_id

PAGE = "pages/digits_compare.py"
SMALL = {"dc_points": "100"}  # small maps: quick tests


@pytest.fixture(scope="module", autouse=True)
def one_thread(one_torch_thread):
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def store():
    s = RunStore()  # the folder the app's run_store() opens ($PTE_DATA_DIR/runs)
    yield s
    s.close()


def charts(at) -> dict[str, dict]:
    """key -> the Plotly figure (as JSON) of each chart on the page."""
    found = {}
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        found[chart.proto.id.split("-")[-1] if not chart.key else chart.key] = spec
    return found


def frame_with(at, column: str):
    """The first table with this column (AppTest's dataframes carry no key)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def titles(at) -> list[str]:
    return [spec["layout"].get("title", {}).get("text", "") for spec in charts(at).values()]


def with_model(store, hidden: int = 8) -> str:
    """A fresh workspace holding one (untrained) digit model on its shelf."""
    ws = new_workspace_id()
    torch.manual_seed(0)
    config = MLPConfig(hidden=hidden)
    trained = TrainedModel(model=build_mlp(config), config=config, hyperparameters={"hidden": hidden, "epochs": 1},
                           metrics={"val_acc": 0.1, "train_acc": 0.1}, source="bundled", name="tiny")
    StoreShelf(store, ws).add(trained, "made by a test", name="tiny")
    return ws


def test_with_no_set_up_the_raw_pixel_map_works_and_a_baseline_fits(store):
    ws = new_workspace_id()
    at = open_in_app(PAGE, {"ws": ws, **SMALL}, timeout=180)
    assert at.title[0].value == "Digits: compare" and not at.error
    assert any("raw pixels" in t for t in titles(at)) and not any("hidden layer" in t for t in titles(at))
    assert at.button(key="dc_quick_train")  # the one-click model is offered
    assert any("Fit a baseline" in i.value for i in at.info)  # metrics wait for something to measure

    at.selectbox(key="dc_model").set_value("knn").run()
    at.button(key="dc_fit").click().run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["validation accuracy"] == "93.20%"
    assert metrics["accuracy_score"] == "93.20%"  # the metrics tab measures the baseline just fitted
    report = frame_with(at, "f1-score")
    assert list(report["class"]) == [str(d) for d in range(10)] + ["macro avg", "weighted avg"]
    assert report["support"].iloc[:10].sum() == 1500
    comparison = frame_with(at, "family")
    assert list(comparison["name"]) == ["sklearn knn (bundled)"] and comparison["val_acc"][0] == pytest.approx(0.932)
    (run,) = store.list_runs(ws)
    assert (run.kind, run.status, run.val_acc) == ("baseline", "done", pytest.approx(0.932))
    assert "KNeighborsClassifier(n_neighbors=3)" in at.code[0].value  # the estimator's parameters, shown
    shown = [c.value for c in at.code]
    assert any("estimator.fit(X_train, y_train)" in c and "KNeighborsClassifier(n_neighbors=3)" in c for c in shown)

    runs = at.switch_page("pages/runs.py").run()
    assert not runs.exception
    table = runs.dataframe[0].value
    row = table[table["name"] == "sklearn knn (bundled)"].iloc[0]
    assert (row["page"], row["model"], row["status"]) == ("Digits: compare", "sklearn KNeighborsClassifier", "done")
    assert row["accuracy"] == pytest.approx(0.932) and row["fit/train s"] >= 0


def test_a_workspace_model_gets_its_hidden_layer_mapped_and_measured(store):
    ws = with_model(store)
    at = open_in_app(PAGE, {"ws": ws, **SMALL}, timeout=180)
    found = titles(at)
    assert any("raw pixels" in t for t in found)
    assert any("hidden layer (8 units)" in t for t in found)
    assert at.selectbox(key="dc_subject").value == "model:tiny"
    assert frame_with(at, "f1-score").shape[0] == 12
    hidden = next(spec for spec in charts(at).values() if "hidden layer" in spec["layout"]["title"]["text"])
    assert sum(len(trace["customdata"]) for trace in hidden["data"]) == 100
    assert any("x" in trace["marker"]["symbol"] for trace in hidden["data"])  # an untrained model's mistakes

    at.radio(key="dc_method").set_value("t-SNE").run()
    assert not at.exception and any(t.startswith("t-SNE of the hidden layer") for t in titles(at))
    code = at.code[-1].value
    assert "TSNE(" in code and "register_forward_hook" in code


def test_the_one_click_model_trains_and_is_mapped(store):
    ws = new_workspace_id()
    at = open_in_app(PAGE, {"ws": ws, **SMALL}, timeout=300)
    at.button(key="dc_quick_train").click().run()
    assert not at.exception, at.exception
    assert any("Trained" in s.value for s in at.success)
    assert any("hidden layer (500 units)" in t for t in titles(at))
    (run,) = store.list_runs(ws, kind="digits")
    assert run.val_acc > 0.8


def test_hostile_url_values_are_refused_with_a_note(store):
    at = open_in_app(PAGE, {"ws": new_workspace_id(), "dc_points": "999999", "dc_method": "UMAP",
                            "dc_model": "__import__('os')", "dc_seed": "-5"}, timeout=180)
    assert not at.exception and not at.error
    note = " ".join(url_notes(at))
    assert all(key in note for key in ("dc_points", "dc_method", "dc_model", "dc_seed"))
    assert at.slider(key="dc_points").value == 1000 and at.radio(key="dc_method").value == "PCA"
