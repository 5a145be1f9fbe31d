"""The Runs page (AppTest): one workspace's runs only, filters (also from the URL), overlay, rename, delete,
export, import (a model and a file that is not one), open in the probe, an empty workspace."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest
from test_views import seed_run, tiny_model

from pytorch_explorer.core.text import as_code
from pytorch_explorer.digits.models import save_checkpoint
from pytorch_explorer.runs import RunStore, new_workspace_id, views


@pytest.fixture(scope="module")
def store():
    s = RunStore()  # the same folder ($PTE_DATA_DIR/runs) the app's run_store() opens
    yield s
    s.close()


@pytest.fixture
def seeded(store):
    """Three runs in one workspace (two pages, two data sources) and one in another."""
    ws, other = new_workspace_id(), new_workspace_id()
    ids = {"wide": seed_run(store, ws, "wide net", losses=(2.3, 1.0, 0.6, 0.4), val_acc=(0.7, 0.85)),
           "csv": seed_run(store, ws, "from my csv", source="csv:my.csv", losses=(2.2, 1.5, 1.1, 0.9)),
           "toy": seed_run(store, ws, "toy 4-3-1", kind="toy", checkpoint=False)}
    ids["theirs"] = seed_run(store, other, "somebody else's")
    return ws, other, ids


def open_runs(ws: str, **query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update({"ws": ws, **query})
    at.run()
    at.switch_page("pages/runs.py").run()
    assert not at.exception, at.exception
    return at


def table_names(at: AppTest) -> list[str]:
    return at.dataframe[0].value["name"].tolist()


def select_run(at: AppTest, run_id: str) -> AppTest:
    at.selectbox(key="runs_selected").set_value(run_id).run()
    assert not at.exception, at.exception
    return at


def test_the_page_shows_exactly_this_workspaces_runs(seeded):
    ws, other, ids = seeded
    at = open_runs(ws)
    assert at.title[0].value == "Runs"
    assert sorted(table_names(at)) == ["from my csv", "toy 4-3-1", "wide net"]
    table = at.dataframe[0].value
    assert list(table.columns) == list(views.COLUMNS)
    wide = table[table["name"] == "wide net"].iloc[0]
    assert (wide["page"], wide["status"], wide["source"], wide["device"]) == ("Digits: train", "done", "bundled", "cpu")
    assert wide["accuracy"] == pytest.approx(0.85) and wide["samples/s"] == 1234
    assert table_names(open_runs(other)) == ["somebody else's"]


def test_filters_narrow_the_table_and_come_back_from_the_url(seeded):
    ws, _, _ = seeded
    at = open_runs(ws)
    at.selectbox(key="runs_kind").set_value("Digits: train").run()
    assert sorted(table_names(at)) == ["from my csv", "wide net"]
    at.selectbox(key="runs_source").set_value("csv:my.csv").run()
    assert table_names(at) == ["from my csv"]
    at.selectbox(key="runs_kind").set_value("Toy networks").run()
    assert not at.dataframe and "No run matches" in at.info[0].value
    shared = open_runs(ws, runs_kind="Digits: train", runs_source="bundled")  # a reload or a shared link
    assert table_names(shared) == ["wide net"] and not shared.warning


def test_a_hostile_filter_in_the_url_is_ignored_with_a_note(seeded):
    ws, _, _ = seeded
    at = open_runs(ws, runs_source="<img src=x onerror=alert(1)>", runs_kind="x" * 5000)
    assert len(table_names(at)) == 3
    note = at.warning[0].value
    assert "`runs_source`" in note and "`runs_kind`" in note and len(note) < 600


def test_overlaying_two_runs_draws_both_curves(seeded):
    ws, _, ids = seeded
    at = open_runs(ws)
    assert not at.get("plotly_chart")
    at.multiselect(key="runs_compare").set_value([ids["wide"], ids["csv"]]).run()
    (chart,) = at.get("plotly_chart")
    traces = json.loads(chart.proto.spec)["data"]
    assert {t["name"] for t in traces if t.get("showlegend", True)} == {"wide net", "from my csv"}
    loss = next(t for t in traces if t["name"] == "wide net" and t.get("mode") == "lines")
    assert loss["y"] == [2.3, 1.0, 0.6, 0.4]


def test_rename_keeps_the_new_name_and_shows_it_as_code(store, seeded):
    ws, _, ids = seeded
    at = select_run(open_runs(ws), ids["wide"])
    at.text_input(key=f"runs_name_{ids['wide']}").set_value("**bold** [x](http://evil)").run()
    at.button(key="runs_rename").click().run()
    assert store.get(ws, ids["wide"]).name == "**bold** [x](http://evil)"
    assert at.success[0].value == f"Renamed to {as_code('**bold** [x](http://evil)')}."
    assert "**bold** [x](http://evil)" in table_names(at)
    at.text_input(key=f"runs_name_{ids['wide']}").set_value("   ").run()
    at.button(key="runs_rename").click().run()
    assert "needs a name" in at.error[0].value and store.get(ws, ids["wide"]).name == "**bold** [x](http://evil)"


def test_delete_asks_first_and_then_removes_the_run_and_nothing_else(store, seeded):
    ws, other, ids = seeded
    at = select_run(open_runs(ws), ids["csv"])
    at.multiselect(key="runs_compare").set_value([ids["csv"], ids["wide"]]).run()
    at.button(key="runs_delete").click().run()
    assert "for good" in at.warning[0].value
    at.button(key="runs_delete_no").click().run()
    assert not at.warning and store.get(ws, ids["csv"])
    at.button(key="runs_delete").click().run()
    at.button(key="runs_delete_yes").click().run()
    assert not at.exception
    assert ids["csv"] not in {r.id for r in store.list_runs(ws)}
    assert "from my csv" not in table_names(at) and "Deleted" in at.success[0].value
    assert at.multiselect(key="runs_compare").value == [ids["wide"]]
    assert [r.name for r in store.list_runs(other)] == ["somebody else's"]


def test_exports_offer_json_csv_and_the_model_file(seeded):
    ws, _, ids = seeded
    at = select_run(open_runs(ws), ids["wide"])
    buttons = {b.proto.label: b.proto for b in at.get("download_button")}
    assert buttons["Run as JSON"].url.endswith(".json") and buttons["Metrics as CSV"].url.endswith(".csv")
    assert buttons["Model (.pt)"].deferred_file_id and not buttons["Model (.pt)"].disabled  # read on click only
    assert not at.button(key="runs_probe").disabled
    code = "".join(c.value for c in at.code)
    assert "wide-net.pt" in code and "weights_only=True" in code
    at = select_run(at, ids["toy"])  # no checkpoint: nothing to download or probe
    buttons = {b.proto.label: b.proto for b in at.get("download_button")}
    assert buttons["Model (.pt)"].disabled and at.button(key="runs_probe").disabled


def test_importing_a_model_adds_a_run_and_a_bad_file_adds_nothing(store, seeded):
    ws, _, _ = seeded
    at = open_runs(ws)
    before = len(store.list_runs(ws))
    at.get("file_uploader")[0].set_value(("notes.pt", b"not a model at all", "application/octet-stream"))
    at.button(key="runs_import").click().run()
    assert not at.exception and "Nothing was added" in at.error[0].value
    assert len(store.list_runs(ws)) == before
    at.get("file_uploader")[0].set_value(("m.pt", save_checkpoint(tiny_model("laptop model")), "application/x"))
    at.text_input(key="runs_import_name").set_value("from my laptop")
    at.button(key="runs_import").click().run()
    assert not at.exception and "Imported" in at.success[0].value
    (imported,) = [r for r in store.list_runs(ws) if r.name == "from my laptop"]
    assert imported.status == "done" and imported.summary["imported"] is True
    assert at.selectbox(key="runs_selected").value == imported.id and "from my laptop" in table_names(at)


def test_open_in_the_probe_hands_over_the_runs_name(seeded, monkeypatch):
    import streamlit as st

    ws, _, ids = seeded
    at = select_run(open_runs(ws), ids["wide"])
    switched = []
    monkeypatch.setattr(st, "switch_page", lambda page, query_params=None: (switched.append((page, query_params)),
                                                                            st.stop()))
    at.button(key="runs_probe").click().run()
    assert switched == [("pages/digits_probe.py", {"ws": ws, "probe_model_name": "wide net"})]
    assert at.session_state["probe_model_name"] == "wide net"


def test_open_in_the_probe_opens_the_probe_page(seeded):
    ws, _, ids = seeded
    at = select_run(open_runs(ws), ids["wide"])
    at.button(key="runs_probe").click().run()
    assert [t.value for t in at.title] == ["Digits: probe"] and not at.get("download_button")
    assert at.query_params["ws"] == ws


def test_an_empty_workspace_says_what_the_page_is_for_and_links_to_the_trainer_and_compare_pages():
    at = open_runs(new_workspace_id())
    assert "No runs in this workspace yet" in at.info[0].value and not at.dataframe
    assert [link.proto.page for link in at.get("page_link")] == ["digits_trainer", "digits_compare"]
    assert at.get("file_uploader")  # a .pt file can be imported into an empty workspace


def seed_baseline(store, ws: str) -> str:
    """A scikit-learn baseline kept as the compare page keeps it (compare.runs.record_baseline)."""
    import numpy as np
    from sklearn.neighbors import KNeighborsClassifier

    from pytorch_explorer.compare.baselines import BaselineResult
    from pytorch_explorer.compare.runs import record_baseline

    result = BaselineResult(model="knn", estimator=KNeighborsClassifier(n_neighbors=3), seed=0, source="bundled",
                            train_size=3500, val_size=1500, val_acc=0.932, fit_seconds=0.02, predict_seconds=0.7,
                            predictions=np.zeros(1500, np.int64))
    return record_baseline(store, ws, result)


def test_a_baseline_shows_beside_the_torch_runs_with_its_accuracy_and_fit_time(store, seeded):
    ws, _, ids = seeded
    baseline = seed_baseline(store, ws)
    at = open_runs(ws)
    table = at.dataframe[0].value
    row = table[table["name"] == "sklearn knn (bundled)"].iloc[0]
    assert (row["page"], row["model"], row["status"]) == ("Digits: compare", "sklearn KNeighborsClassifier", "done")
    assert row["accuracy"] == pytest.approx(0.932) and row["fit/train s"] == pytest.approx(0.02)
    wide = table[table["name"] == "wide net"].iloc[0]
    assert wide["model"] == "MLP 784-4-10" and wide["fit/train s"] == pytest.approx(1.5)
    at.selectbox(key="runs_kind").set_value("Digits: compare").run()
    assert table_names(at) == ["sklearn knn (bundled)"]
    select_run(at, baseline)
    buttons = {b.proto.label: b.proto for b in at.get("download_button")}
    assert buttons["Model (.pt)"].disabled and "scikit-learn" in buttons["Model (.pt)"].help
    assert at.button(key="runs_probe").disabled
    assert not buttons["Run as JSON"].disabled
    at.multiselect(key="runs_compare").set_value([baseline, ids["wide"]]).run()
    assert not at.exception and any("scikit-learn baseline" in c.value for c in at.caption)
