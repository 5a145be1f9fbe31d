"""The digits pages in Chromium, with training as server-side jobs: a run goes on while the learner is on
another page; finished runs, their models and a run cut off by a restart survive the server's restart;
four browsers (four workspaces) train at once, and the ones the cores cannot take yet are told they wait."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import pytest
from conftest import expect_no_exception, open_page, screenshot, streamlit_server, wait_idle, warm_up


pytestmark = pytest.mark.browser
FINISHED = "finished: train accuracy"


def workspace_of(page) -> str:
    return parse_qs(urlparse(page.url).query)["ws"][0]


def set_slider(page, label: str, key: str, times: int = 1) -> None:
    slider = page.get_by_test_id("stSlider").filter(has_text=label).get_by_role("slider").first
    slider.focus()
    for _ in range(times):
        slider.press(key)
    wait_idle(page)


def tiny_settings(page, epochs_right: int = 0, hidden_right: int = 0) -> None:
    """Epochs 1 + epochs_right, hidden 16 moved hidden_right steps up (16, 32, 64, 128, 256, 500, ...)."""
    set_slider(page, "Epochs", "Home")
    set_slider(page, "Hidden units", "Home")
    if epochs_right:
        set_slider(page, "Epochs", "ArrowRight", epochs_right)
    if hidden_right:
        set_slider(page, "Hidden units", "ArrowRight", hidden_right)


def train(page) -> None:
    page.get_by_role("button", name="Train", exact=True).click()


def loss_points(page) -> int:
    return page.evaluate(
        "() => { const p = [...document.querySelectorAll('.js-plotly-plot')]"
        ".find(d => d.layout && d.layout.title && d.layout.title.text.includes('Training loss'));"
        " return p ? p.data[0].y.length : 0; }")


def go_to(page, title: str) -> None:
    """Switch pages the way a learner does: the sidebar's link (same session, same ?ws=)."""
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first.click()
    wait_idle(page, 60)


def test_a_run_goes_on_while_the_learner_is_on_another_page(page, own_server):
    open_page(page, own_server)
    open_page(page, own_server, "digits-trainer", timeout=120)
    workspace = workspace_of(page)
    tiny_settings(page, epochs_right=9, hidden_right=3)  # 10 epochs of 128 units: a few seconds
    train(page)
    page.get_by_text(re.compile(r"loop on cpu: epoch \d+ of 10")).wait_for(timeout=60_000)
    go_to(page, "Digits: probe")
    assert workspace_of(page) == workspace
    time.sleep(1.0)
    go_to(page, "Digits: train")
    assert workspace_of(page) == workspace
    page.get_by_text(re.compile(r"loop on cpu(: epoch \d+ of 10| finished at epoch 10 of 10)")).wait_for(
        timeout=30_000)
    assert loss_points(page) > 5  # the curve so far, read back from the store
    page.get_by_text(FINISHED).wait_for(timeout=120_000)
    wait_idle(page)
    expect_no_exception(page)
    assert loss_points(page) > 5
    screenshot(page, "jobs-switch-pages-and-back")


@pytest.fixture(scope="module")
def own_server(tmp_path_factory, browser) -> Iterator[str]:
    """A server of these tests' own: the jobs they start never share the job runner (and its two CPU
    slots) with what the other pages' browser tests left running in the session's server."""
    with streamlit_server(tmp_path_factory.mktemp("jobs-server") / "streamlit.log") as (url, _):
        warm_up(browser, url)
        yield url


def test_runs_and_models_survive_a_server_restart(page, tmp_path):
    with streamlit_server(tmp_path / "first.log") as (url, _):
        open_page(page, url)
        open_page(page, url, "digits-trainer", timeout=120)
        workspace = workspace_of(page)
        tiny_settings(page)
        train(page)
        page.get_by_text(FINISHED).wait_for(timeout=120_000)
        wait_idle(page)
        # a long run, cut off by the restart after its first epoch (a checkpoint)
        set_slider(page, "Epochs", "End")
        set_slider(page, "Hidden units", "End")  # 30 epochs of 2,000 units: still training at the restart
        train(page)
        page.get_by_text(re.compile(r"loop on cpu: epoch [2-9]\d* of 30")).wait_for(timeout=120_000)
    # the server has stopped (as with Ctrl+C); a new one starts on the same data folder
    with streamlit_server(tmp_path / "second.log") as (url, _):
        open_page(page, url)
        open_page(page, f"{url}", f"digits-trainer?ws={workspace}", timeout=120)
        assert workspace_of(page) == workspace
        page.get_by_text("was interrupted").wait_for(timeout=30_000)
        warning = page.get_by_test_id("stAlert").filter(has_text="was interrupted").inner_text()
        assert "run 2 (fixed)" in warning and "is kept" in warning, warning
        assert "Current model: run 2 (fixed)" in page.inner_text("body")  # its last checkpoint is a model
        expect_no_exception(page)
        page.get_by_test_id("stAlert").filter(has_text="was interrupted").scroll_into_view_if_needed()
        screenshot(page, "jobs-after-restart-trainer")
        open_page(page, url, f"digits-probe?ws={workspace}", timeout=120)
        page.get_by_text("What the model thinks").wait_for(timeout=60_000)
        model_select = page.get_by_test_id("stSelectbox").filter(has_text="Model")
        model_select.click()
        options = page.get_by_role("option").all_inner_texts()
        assert "run 1 (fixed)" in options and "run 2 (fixed)" in options, options
        page.keyboard.press("Escape")
        expect_no_exception(page)
        screenshot(page, "jobs-after-restart-probe")


def test_four_workspaces_train_at_once_and_the_queue_is_explained(browser, own_server):
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(4)]
    try:
        pages = [c.new_page() for c in contexts]
        open_page(pages[0], own_server)
        for p in pages:
            open_page(p, own_server, "digits-trainer", timeout=120)
            tiny_settings(p, epochs_right=9, hidden_right=5)  # 10 epochs of 500 units: seconds each
        assert len({workspace_of(p) for p in pages}) == 4
        for p in pages:
            train(p)
        queued = re.compile(r"queued: (next to start|\d+ runs? ahead of yours)")
        seen_queue, deadline = False, time.time() + 240
        done = [False] * 4
        while not all(done):  # each page shows how its run ended, queued behind others or not
            assert time.time() < deadline, f"not all four finished: {done}"
            for i, p in enumerate(pages):
                if not seen_queue and p.get_by_text(queued).count():
                    seen_queue = True
                    screenshot(p, "jobs-four-at-once-queued")
                done[i] = done[i] or p.get_by_text(FINISHED).count() > 0
            time.sleep(0.2)
        assert seen_queue, "more runs than cores, but no page said it was queued"
        for p in pages:
            wait_idle(p)
            expect_no_exception(p)
            assert loss_points(p) > 5
            assert "run 1 (fixed)" in p.inner_text("body")
        screenshot(pages[-1], "jobs-four-at-once-done")
    finally:
        for c in contexts:
            c.close()
