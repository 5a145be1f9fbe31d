"""The Toy networks page's trainings are runs of the workspace: a new session (a reload, a restarted server)
with the same ?ws= sees the last results, another workspace does not, and the Runs page lists them."""

from __future__ import annotations

import pytest
from conftest import ROOT, expect_no_exception, open_page, screenshot, wait_idle
from streamlit.testing.v1 import AppTest

from pytorch_explorer.runs import RunStore
from pytorch_explorer.toy.settings import IMPLEMENTATION_TITLES, SHORT_TITLES

APP = str(ROOT / "app.py")


def open_toy(ws: str | None = None) -> AppTest:
    """A new session (as after a reload) of the toy page through the app, in workspace `ws` (None: a new one)."""
    at = AppTest.from_file(APP, default_timeout=120)
    if ws:
        at.query_params["ws"] = ws
    at.switch_page("pages/toy_networks.py").run()
    assert not at.exception, at.exception
    return at


def summary(at: AppTest):
    [frame] = [d.value for d in at.dataframe if "within 0.1 of y" in d.value.columns]
    return frame.set_index("version")


def test_a_side_by_side_training_survives_a_reload_and_shows_on_the_runs_page():
    at = open_toy()
    ws = at.session_state["workspace"]
    at.slider(key="toy_epochs").set_value(1200)
    at.multiselect(key="toy_impls").set_value(["numpy", "torch-article", "nn"])
    at.button(key="toy_train").click().run()
    assert not at.exception, at.exception
    trained = summary(at)

    again = open_toy(ws)  # a new session: nothing in its session state, the same workspace
    assert not any("Train side by side" in i.value for i in again.info)
    restored = summary(again)
    assert list(restored.index) == [SHORT_TITLES["numpy"], SHORT_TITLES["torch-article"], SHORT_TITLES["nn"]]
    assert (restored["epochs"] == 1200).all()
    assert restored["final loss (MSE)"].tolist() == trained["final loss (MSE)"].tolist()
    assert any("Every hidden bias moved by the same amount" in m.value for m in again.markdown)  # the defects view
    # the controls opened at their defaults (5000 epochs): the page says the results are from other settings
    assert any("from earlier settings" in c.value for c in again.caption)

    stranger = open_toy()  # another browser, another workspace: none of it
    assert any("Train side by side" in i.value for i in stranger.info)
    assert not [d for d in stranger.dataframe if "within 0.1 of y" in d.value.columns]

    runs = AppTest.from_file(APP, default_timeout=60)
    runs.query_params["ws"] = ws
    runs.run()
    runs.switch_page("pages/runs.py").run()
    assert not runs.exception, runs.exception
    table = runs.dataframe[0].value
    assert sorted(table["name"]) == sorted(f"toy: {impl} (lr 0.1, 1200 epochs)" for impl in ("numpy", "torch-article", "nn"))
    assert set(table["page"]) == {"Toy networks"} and set(table["status"]) == {"done"}


def test_a_paused_playground_network_is_a_run_of_the_workspace():
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("pages/playground.py").run()
    ws = at.session_state["workspace"]
    at.button(key="pg_step").click().run()
    at.button(key="pg_play").click().run()
    at.button(key="pg_pause").click().run()  # pause: the run is brought up to date
    assert not at.exception, at.exception
    trainer = at.session_state["pg_trainer"]
    store = RunStore()  # the folder the app's run_store() opens ($PTE_DATA_DIR/runs)
    try:
        [run] = store.list_runs(ws, kind="toy-playground")
        assert run.steps == trainer.epoch >= 1 and run.status == "done" and run.name.startswith("playground: circles")
        assert store.list_runs(ws, kind="toy") == []
    finally:
        store.close()



@pytest.mark.browser
def test_a_reload_brings_back_the_last_training(page, app_url):
    open_page(page, app_url, "toy-networks", timeout=120)
    page.get_by_text("PyTorch code of the versions chosen above").wait_for(timeout=120_000)
    wait_idle(page, timeout=120)
    page.get_by_role("button", name="Train side by side").click(timeout=60_000)
    wait_idle(page, timeout=180)
    expect_no_exception(page)
    assert "ws=" in page.url
    page.reload()
    wait_idle(page, timeout=120)
    page.get_by_text("Every hidden bias moved by the same amount").wait_for(timeout=60_000)
    expect_no_exception(page)
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    chart.locator(".scatterlayer .trace").first.wait_for(timeout=30_000)
    legend = chart.locator(".legend .legendtext").all_text_contents()
    assert IMPLEMENTATION_TITLES["numpy"] in legend and IMPLEMENTATION_TITLES["torch-article"] in legend
    chart.scroll_into_view_if_needed()
    screenshot(page, "toy-networks-after-reload")
