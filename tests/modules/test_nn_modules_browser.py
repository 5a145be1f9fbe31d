"""The nn modules page in a real browser: it opens on the article's model, a broken model is fixed with one
click, and the train()/eval() tab explains Dropout and BatchNorm."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from conftest import expect_no_exception, open_page, screenshot, wait_idle


@pytest.mark.browser
def test_nn_page_builds_fixes_and_compares_modes(page, app_url):
    open_page(page, app_url, "nn", timeout=120)
    page.get_by_text("PyTorch code: this model").wait_for(timeout=120_000)
    expect_no_exception(page)
    expect(page.get_by_role("heading", name="nn modules").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("397,510").first).to_be_visible(timeout=30_000)  # waits: the page may still be drawing
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible(timeout=30_000)  # the layer editor
    screenshot(page, "nn-modules")

    open_page(page, app_url, "nn?nn_arch=Conv2d(1,6,5);ReLU();Linear(784,10)&nn_input=4,1,28,28", timeout=120)
    page.get_by_text("Layer 2 (Linear(784, 10)) gets an input of shape (4, 6, 24, 24)").wait_for(timeout=30_000)
    expect_no_exception(page)
    screenshot(page, "nn-modules-mismatch")
    page.get_by_role("button", name="Fix: Insert Flatten() before layer 2").click()
    wait_idle(page, timeout=60)
    expect_no_exception(page)
    assert not page.get_by_text("gets an input of shape").count()
    page.set_viewport_size({"width": 1400, "height": 2600})  # the app scrolls inside: a tall window shows it all
    wait_idle(page)
    screenshot(page, "nn-modules-fixed")
    assert "Flatten()" in page.url or "Flatten%28%29" in page.url

    page.get_by_role("tab", name="Shapes, layer by layer").click()
    page.get_by_text("register_forward_hook").first.wait_for(timeout=10_000)
    screenshot(page, "nn-modules-shapes")

    open_page(page, app_url, "nn?nn_preset=MLP+with+BatchNorm+and+Dropout", timeout=120)
    page.get_by_role("tab", name="train() vs eval()").click()
    page.get_by_text("In train() it zeroed").first.wait_for(timeout=30_000)
    page.get_by_text("In train() it zeroed").first.scroll_into_view_if_needed()
    expect_no_exception(page)
    screenshot(page, "nn-modules-train-eval")
