"""Digits: compare in a real browser: fit a baseline, read its metrics, click a digit on the hidden-layer map."""

from __future__ import annotations

import pytest
import torch
from conftest import expect_no_exception, open_page, screenshot, wait_idle
from playwright.sync_api import expect

from pytorch_explorer.digits.models import MLPConfig, TrainedModel, build_mlp
from pytorch_explorer.digits.shelf import StoreShelf
from pytorch_explorer.runs import RunStore, new_workspace_id


@pytest.fixture
def workspace():
    """A workspace with one small digit model, in the store the test server reads ($PTE_DATA_DIR/runs)."""
    store = RunStore()
    ws = new_workspace_id()
    torch.manual_seed(0)
    config = MLPConfig(hidden=16)
    trained = TrainedModel(model=build_mlp(config), config=config, hyperparameters={"hidden": 16, "epochs": 1},
                           metrics={"val_acc": 0.1}, source="bundled", name="small net")
    StoreShelf(store, ws).add(trained, "made by a test", name="small net")
    store.close()
    return ws


def click_a_point(page, chart) -> None:
    """Hover, then click the first marker of a Plotly scatter (plotly reports the point under the mouse)."""
    chart.scroll_into_view_if_needed()
    point = chart.locator(".scatterlayer .trace .points path").first
    box = point.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.move(x + 0.5, y + 0.5)
    page.mouse.click(x + 0.5, y + 0.5)


@pytest.mark.browser
def test_fit_a_baseline_and_click_a_digit_on_the_map(page, app_url, workspace):
    open_page(page, app_url, f"digits-compare?ws={workspace}&dc_points=200&dc_model=k-nearest%20neighbours", timeout=180)
    expect(page.get_by_role("heading", name="Digits: compare").first).to_be_visible()
    expect_no_exception(page)

    page.get_by_role("button", name="Fit k-nearest neighbours").click()
    wait_idle(page, 180)
    expect(page.get_by_test_id("stMetric").filter(has_text="validation accuracy").first).to_contain_text("93.20%")
    expect_no_exception(page)
    screenshot(page, "digits-compare-baseline")

    page.get_by_role("tab", name="Per-class metrics").click()
    expect(page.get_by_test_id("stMetric").filter(has_text="accuracy_score").first).to_be_visible()
    screenshot(page, "digits-compare-metrics")

    page.get_by_role("tab", name="What the hidden layer learned").click()
    charts = page.get_by_test_id("stPlotlyChart").filter(has_text="hidden layer")
    expect(charts.first).to_be_visible(timeout=60000)
    hidden = charts.last
    expect(hidden.locator(".scatterlayer .trace").first).to_be_attached()
    click_a_point(page, hidden)
    wait_idle(page, 60)
    expect(page.get_by_text("validation digit #").first).to_be_visible(timeout=30000)
    expect_no_exception(page)
    page.set_viewport_size({"width": 1400, "height": 1800})
    screenshot(page, "digits-compare-maps")
