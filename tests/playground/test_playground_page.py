"""The Toy playground page: AppTest drives its controls (step, play/pause, + / -, bad settings, the address);
a browser test plays until epoch 100, pauses, and checks that the counter stops."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Error as PlaywrightError
from conftest import expect_no_exception, open_in_app, open_page, screenshot, url_notes, wait_idle
from streamlit.testing.v1 import AppTest

PAGE = "pages/playground.py"


def _open(query: dict | None = None) -> AppTest:
    return open_in_app(PAGE, query, timeout=90)


def epoch(at: AppTest) -> int:
    [metric] = [m for m in at.metric if m.label == "Epoch"]
    return int(metric.value.replace(",", ""))


def test_page_opens_explains_and_steps():
    at = _open()
    assert at.title[0].value == "Toy playground" and epoch(at) == 0
    assert at.text_input(key="pg_layers").value == "4-2" and at.multiselect(key="pg_features").value == ["x1", "x2"]
    assert "nn.Linear(2, 4), nn.Tanh()" in at.code[-1].value
    at.button(key="pg_step").click().run()
    at.button(key="pg_step").click().run()
    assert not at.exception, at.exception
    assert epoch(at) == 2 and at.session_state["pg_trainer"].epoch == 2
    assert "for epoch in range(2)" in at.code[-1].value


def test_plus_and_minus_buttons_change_the_network_and_settings_follow():
    at = _open()
    at.button(key="pg_add_layer").click().run()
    assert at.text_input(key="pg_layers").value == "4-2-2"
    at.button(key="pg_add_neuron_2").click().run()
    at.button(key="pg_remove_neuron_0").click().run()
    assert at.text_input(key="pg_layers").value == "3-2-3"
    assert at.session_state["pg_trainer"].config.layers == (3, 2, 3)
    at.button(key="pg_remove_layer").click().run()
    at.multiselect(key="pg_features").set_value(["x1", "x2", "x1^2", "x2^2"])
    at.selectbox(key="pg_problem").set_value("spiral").run()
    trainer = at.session_state["pg_trainer"]
    assert trainer.config.layers == (3, 2) and trainer.config.problem == "spiral" and trainer.inputs_train.shape[1] == 4
    at.button(key="pg_step").click().run()
    at.select_slider(key="pg_lr").set_value(0.1).run()  # a new learning rate goes on with the same network
    assert at.session_state["pg_trainer"] is trainer and epoch(at) == 1 and trainer.config.lr == 0.1
    at.button(key="pg_reset").click().run()
    assert epoch(at) == 0
    for _ in range(4):
        at.button(key="pg_add_layer").click().run()
    assert at.text_input(key="pg_layers").value == "3-2-2-2-2-2" and at.button(key="pg_add_layer").disabled
    assert not at.exception, at.exception


def test_play_trains_and_pause_stops():
    at = _open()
    at.button(key="pg_play").click().run()
    assert at.session_state["pg_playing"] is True and at.button(key="pg_pause").label == "Pause"
    assert at.session_state["pg_trainer"].seconds > 0 and at.button(key="pg_step").disabled  # it trained a slice
    at.button(key="pg_pause").click().run()
    assert at.session_state["pg_playing"] is False and at.button(key="pg_play").label == "Play"
    paused = epoch(at)
    at.run()
    assert epoch(at) == paused and not at.exception


def test_bad_settings_train_and_are_explained():
    at = _open({"pg_problem": "Regression: plane", "pg_lr": "10.0"})
    at.button(key="pg_play").click().run()
    [error] = at.error
    assert "diverged" in error.value and "Lower the learning rate" in error.value
    assert at.session_state["pg_playing"] is False and at.button(key="pg_play").disabled
    at = _open({"pg_layers": "8-8-8-8-8-8", "pg_activation": "Sigmoid"})
    warnings = [w.value for w in at.warning]
    assert any(re.search(r"first layer's gradient is [\d,]+ times smaller than the last", w) for w in warnings)
    at.button(key="pg_step").click().run()
    assert epoch(at) == 1 and not at.exception


def test_a_shared_link_reproduces_the_network():
    query = {"pg_problem": "Spiral", "pg_noise": "10", "pg_train_pct": "70", "pg_batch": "5", "pg_seed": "7",
             "pg_features": ["x1", "x2", "sin(x1)", "sin(x2)"], "pg_layers": "8-8-8-8", "pg_activation": "Relu",
             "pg_lr": "0.003", "pg_reg": "L2", "pg_reg_rate": "0.001", "pg_optimizer": "ADAM"}
    at = _open(query)
    assert not url_notes(at), url_notes(at)
    c = at.session_state["pg_trainer"].config
    assert (c.problem, c.noise, c.train_ratio, c.batch_size, c.seed) == ("spiral", 0.1, 0.7, 5, 7)
    assert c.features == ("x1", "x2", "sin(x1)", "sin(x2)") and c.layers == (8, 8, 8, 8)
    assert (c.activation, c.lr, c.regularization, c.reg_rate, c.optimizer) == ("relu", 0.003, "L2", 0.001, "adam")
    assert "torch.optim.Adam" in at.code[-1].value and "0.001 * sum((w * w).sum()" in at.code[-1].value


def test_a_hostile_address_is_refused_cleanly():
    at = _open({"pg_layers": "99-99-99-99-99-99-99-99", "pg_lr": "1000", "pg_batch": "1e9",
                "pg_features": ["<script>"], "pg_seed": "-4", "<b>x</b>": "1"})
    assert not at.exception
    assert any("at most 6 hidden layers" in e.value for e in at.error)
    trainer = at.session_state["pg_trainer"]
    assert trainer.config.layers == (4, 2) and trainer.config.lr == 0.03 and trainer.config.batch_size == 10
    [note] = url_notes(at)
    for key in ("pg_lr", "pg_batch", "pg_features", "pg_seed", "<b>x</b>"):
        assert f"`{key}`" in note, key


def test_beyond_the_playground_gradients_and_landscape():
    at = _open()
    assert any("output layer" in str(c.proto.spec) for c in at.get("plotly_chart"))
    at.toggle(key="pg_landscape").set_value(True).run()
    assert not at.exception, at.exception
    assert any('"contour"' in str(c.proto.spec) for c in at.get("plotly_chart"))


# ---------------------------------------------------------------- in a browser
EPOCH_VALUE = '[data-testid="stMetric"]:has-text("Epoch") [data-testid="stMetricValue"]'


def read_epoch(page) -> int:
    return int(page.locator(EPOCH_VALUE).first.inner_text().replace(",", ""))


@pytest.mark.browser
def test_play_past_epoch_100_then_pause_stops_the_counter(page, app_url):
    open_page(page, app_url, "playground?pg_batch=30&pg_train_pct=10", timeout=120)  # 2 mini-batches an epoch
    page.get_by_text("PyTorch code of this network").wait_for(timeout=120_000)
    expect_no_exception(page)
    assert read_epoch(page) == 0
    page.get_by_role("button", name="Play", exact=True).click()
    deadline = time.time() + 180
    while read_epoch(page) <= 100:
        assert time.time() < deadline, f"epoch {read_epoch(page)} after 180 s of play"
        time.sleep(0.2)
    page.get_by_role("button", name="Pause", exact=True).click()
    time.sleep(0.5)
    stopped = read_epoch(page)
    time.sleep(1.5)
    assert read_epoch(page) == stopped, "the epoch counter went on more than 0.5 s after Pause"
    page.get_by_role("button", name="Play", exact=True).wait_for(timeout=10_000)
    expect_no_exception(page)
    picture = page.locator('[data-testid="stPlotlyChart"]').first.locator("image")
    assert picture.count() == 1  # the network as one picture, every node's heatmap in it
    assert picture.get_attribute("href").startswith("data:image/jpeg;base64,")
    show_network(page)
    screenshot(page, "playground-paused")


def show_network(page) -> None:
    """Scroll the network picture into view for a screenshot; the chart may be swapped for a new one mid-scroll
    (the page's last rerun after Pause), so try again once."""
    for attempt in range(3):
        try:
            page.locator('[data-testid="stPlotlyChart"]').first.scroll_into_view_if_needed(timeout=10_000)
            return
        except PlaywrightError:
            if attempt == 2:
                raise
            time.sleep(0.5)


@pytest.mark.browser
def test_redraws_per_second_with_four_layers_of_eight(page, app_url):
    """Not a speed assertion: prints the redraws a second the browser saw (the server side:
    `python -m pytorch_explorer bench playground`)."""
    open_page(page, app_url, "playground?pg_layers=8-8-8-8&pg_problem=Spiral", timeout=120)
    page.get_by_text("PyTorch code of this network").wait_for(timeout=120_000)
    # a redraw is a new picture: count changes of the network's picture, polled every 20 ms
    page.evaluate("""() => { window.__pgFrames = 0; let last = null; setInterval(() => {
        const image = document.querySelector('[data-testid="stPlotlyChart"] image');
        const now = image ? image.getAttribute('href') : null;
        if (now !== null && now !== last) { last = now; window.__pgFrames += 1; } }, 20); }""")
    page.get_by_role("button", name="Play", exact=True).click()
    time.sleep(2.0)
    start_frames, start_epoch, started = page.evaluate("window.__pgFrames"), read_epoch(page), time.time()
    time.sleep(8.0)
    frames, epochs, seconds = page.evaluate("window.__pgFrames") - start_frames, read_epoch(page) - start_epoch, \
        time.time() - started
    page.get_by_role("button", name="Pause", exact=True).click()
    print(f"\nbrowser: {frames / seconds:.1f} redraws/s, {epochs / seconds:.1f} epochs/s "
          "(4 hidden layers of 8, node heatmaps on)")
    assert frames > 0
    page.get_by_role("button", name="Play", exact=True).wait_for(timeout=30_000)  # paused: the charts hold still
    wait_idle(page)
    show_network(page)
    time.sleep(1.0)
    screenshot(page, "playground-8-8-8-8")
    expect_no_exception(page)
