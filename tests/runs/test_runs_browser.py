"""The Runs page in a real browser: a seeded workspace's runs, two of them overlaid on one chart."""

from __future__ import annotations

import pytest
from conftest import expect_no_exception, open_page, screenshot, wait_idle
from playwright.sync_api import expect
from test_runs_page import seed_baseline
from test_views import seed_run

from pytorch_explorer.runs import RunStore, new_workspace_id


@pytest.fixture
def workspace():
    """A workspace with three runs, in the store the test server reads ($PTE_DATA_DIR/runs)."""
    store = RunStore()
    ws = new_workspace_id()
    seed_baseline(store, ws)  # the oldest: the newest run, selected first, stays a digit model
    seed_run(store, ws, "wide net", losses=(2.3, 1.4, 0.9, 0.6, 0.45, 0.35), val_acc=(0.72, 0.84, 0.88))
    seed_run(store, ws, "small lr", losses=(2.3, 2.1, 1.9, 1.7, 1.55, 1.4), val_acc=(0.35, 0.5, 0.6))
    seed_run(store, ws, "from my csv", source="csv:my.csv")
    seed_run(store, new_workspace_id(), "somebody else's")
    store.close()
    return ws


@pytest.mark.browser
def test_two_runs_of_a_workspace_overlaid_in_the_browser(page, app_url, workspace):
    open_page(page, app_url, f"runs?ws={workspace}")
    expect(page.get_by_role("heading", name="Runs").first).to_be_visible()
    table = page.get_by_test_id("stDataFrame")
    expect(table).to_be_visible()
    expect_no_exception(page)
    assert "somebody else" not in page.inner_text("body")

    picker = page.get_by_test_id("stMultiSelect").filter(has_text="Overlay the curves of")
    for name in ("wide net", "small lr"):
        picker.locator("input").click()
        page.get_by_role("option", name=name, exact=True).click()
        wait_idle(page)
    page.mouse.click(1380, 60)  # close the picker's list: a click on the empty margin
    expect(page.get_by_role("option")).to_have_count(0)
    chart = page.get_by_test_id("stPlotlyChart")
    expect(chart).to_be_visible(timeout=30000)
    legend = chart.locator(".legend").first.text_content()
    assert "wide net" in legend and "small lr" in legend
    assert chart.locator(".scatterlayer .trace").count() >= 4  # loss and accuracy for each run
    expect_no_exception(page)
    assert page.url.count("ws=" + workspace) == 1
    screenshot(page, "runs-overlay")
    page.set_viewport_size({"width": 1400, "height": 1900})  # the app scrolls inside: show all of it
    expect(page.get_by_role("button", name="Open in the probe")).to_be_enabled()
    screenshot(page, "runs-actions")


@pytest.mark.browser
def test_a_baseline_is_a_run_of_the_compare_page(page, app_url, workspace):
    open_page(page, app_url, f"runs?ws={workspace}&runs_kind=Digits%3A%20compare")
    expect(page.get_by_test_id("stDataFrame")).to_be_visible()
    expect_no_exception(page)
    expect(page.get_by_role("combobox", name="Run", exact=True)).to_have_value("sklearn knn (bundled)")
    page.set_viewport_size({"width": 1400, "height": 1400})
    expect(page.get_by_role("button", name="Open in the probe")).to_be_disabled()
    screenshot(page, "runs-baseline")
