"""The Digits: train page: AppTest drives its widgets (train as a job, stop, history, errors); a browser test
trains live. The runs train in the server's job runner (worker processes) and the page reads the run store."""

from __future__ import annotations

import json
import math
import re
import time

import pytest
from conftest import ROOT, expect_no_exception, open_page, screenshot, wait_idle
from streamlit.testing.v1 import AppTest

from pytorch_explorer.digits.training import TrainConfig, TrainingEvent
from ui.digits_trainer import METRIC_CHARS, live_metrics
from ui.workspace import run_store

PAGE = str(ROOT / "pages" / "digits_trainer.py")


def shown(markdown: str) -> str:
    """What a learner reads: Markdown's backslash escapes removed (file- and run-provided text is escaped)."""
    return re.sub(r"\\(.)", r"\1", markdown)


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_torch_thread):
    """Results, not speed: see conftest.one_torch_thread."""


def fresh() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception, at.exception
    return at


def small_settings(at: AppTest, epochs: int = 1, hidden: int = 16) -> AppTest:
    at.slider(key="dt_epochs").set_value(epochs)
    at.select_slider(key="dt_hidden").set_value(hidden)
    return at


def watched(at: AppTest):
    """The run the page shows (RunCurves, polled from the store), or None."""
    return at.session_state["dt_curves"] if "dt_curves" in at.session_state else None


def run_until_idle(at: AppTest, timeout: float = 120.0) -> AppTest:
    """The run trains in a worker process: rerun the page (as its live panel does) until the run has ended."""
    deadline = time.monotonic() + timeout
    while watched(at) is not None and watched(at).active:
        assert time.monotonic() < deadline, "the run did not finish"
        time.sleep(0.2)
        at.run()
        assert not at.exception, at.exception
    return at


def wait_for_steps(at: AppTest, n: int = 1, timeout: float = 60.0) -> AppTest:
    deadline = time.monotonic() + timeout
    while len(watched(at).steps) < n:
        assert time.monotonic() < deadline, "no step readings came"
        time.sleep(0.1)
        at.run()
    return at


def metric_values(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def chart(at: AppTest, key: str) -> dict:
    (found,) = [c for c in at.get("plotly_chart") if c.proto.id.endswith(key)]
    return json.loads(found.proto.spec)


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [m.value for m in at.caption] + [m.value for m in at.info]
    parts += [m.value for m in at.success] + [m.value for m in at.error] + [m.value for m in at.warning]
    return "\n".join(str(p) for p in parts)


def test_the_page_opens_with_the_articles_settings_and_sample_digits():
    at = fresh()
    assert at.title[0].value == "Digits: train"
    assert at.select_slider(key="dt_hidden").value == 500
    assert at.slider(key="dt_epochs").value == 5
    assert at.select_slider(key="dt_lr").value == 0.001
    assert at.select_slider(key="dt_batch").value == 128
    assert at.number_input(key="dt_seed").value == 128
    assert at.slider(key="dt_val").value == 0.3
    assert at.selectbox(key="dt_optimizer").value == "adam"
    assert at.selectbox(key="dt_device").value == "auto"
    assert "5,000 digits" in texts(at)
    assert not at.button(key="dt_train").disabled and at.button(key="dt_stop").disabled
    assert "optimizer.zero_grad()" in at.code[-1].value and "lr=0.001" in at.code[-1].value
    assert "DEFECT" not in at.code[-1].value


def test_train_a_short_run_puts_it_on_the_shelf_and_in_the_history():
    at = small_settings(fresh())
    at.button(key="dt_train").click().run()
    assert not at.exception
    assert watched(at).record.status in ("queued", "running", "done")  # submitted as a job
    run_until_idle(at)
    shelf = at.session_state["model_shelf"]  # what the probe page reads (the workspace's runs in the store)
    trained = shelf.current
    assert trained.name == "run 1 (fixed)" and trained.metrics["status"] == "done"
    assert shelf.names() == ["run 1 (fixed)"] and shelf.get("run 1 (fixed)") is trained
    assert next(trained.model.parameters()).device.type == "cpu"
    rows = shelf.rows()
    assert len(rows) == 1 and rows[0]["name"] == "run 1 (fixed)" and rows[0]["hidden"] == 16
    body = texts(at)
    assert "`run 1 (fixed)` finished" in body
    assert re.search(r"This run: \*\*[\d,]+ samples/s on cpu\*\*", body)
    assert len(at.dataframe) == 1 and list(at.dataframe[0].value["name"]) == ["run 1 (fixed)"]
    labels = [m.label for m in at.metric]
    assert {"Loss", "Running accuracy", "Validation accuracy", "Samples/s"} <= set(labels)
    val = next(m for m in at.metric if m.label == "Validation accuracy").value
    assert val.endswith("%") and float(val[:-1]) > 50

    # a second run, article-faithful, goes beside it and the comparison appears
    at.toggle(key="dt_faithful").set_value(True).run()
    assert "never calls `optimizer.zero_grad()`" in texts(at)
    assert "DEFECT: no optimizer.zero_grad()" in at.code[-1].value
    at.button(key="dt_train").click().run()
    run_until_idle(at)
    shelf = at.session_state["model_shelf"]
    assert shelf.names() == ["run 1 (fixed)", "run 2 (article-faithful)"]
    assert shelf.current.name == "run 2 (article-faithful)"
    assert len(at.dataframe[0].value) == 2
    assert "Latest fixed run:" in texts(at)


def test_the_fast_path_switch_reaches_the_run_and_the_speed_notes_explain_it():
    at = small_settings(fresh())
    assert at.toggle(key="dt_fast").value is True
    assert "fused=True" in at.code[-1].value
    notes = at.expander[[e.label for e in at.expander].index("What makes training fast here?")]
    assert "fused Adam" in notes.markdown[0].value and "CUDA graph" in notes.markdown[0].value
    at.toggle(key="dt_fast").set_value(False).run()
    assert "fused=True" not in at.code[-1].value
    at.button(key="dt_train").click().run()
    run_until_idle(at)
    trained = at.session_state["model_shelf"].current
    assert trained.hyperparameters["fast"] is False
    assert at.session_state["model_shelf"].rows()[0]["fast_path"] == "Adam (for-loop)"
    assert list(at.dataframe[0].value["fast_path"]) == ["Adam (for-loop)"]
    assert "(Adam (for-loop))" in texts(at)
    notes = at.expander[[e.label for e in at.expander].index("What makes training fast here?")]
    assert "Fast path is off" in notes.markdown[0].value
    assert "The last run used: Adam (for-loop)." in notes.markdown[0].value
    at.toggle(key="dt_faithful").set_value(True).run()
    assert at.toggle(key="dt_fast").disabled
    notes = at.expander[[e.label for e in at.expander].index("What makes training fast here?")]
    assert "`loss.item()` every step" in notes.markdown[0].value


def test_stop_keeps_the_partial_model_and_acts_within_a_second():
    at = small_settings(fresh(), epochs=30, hidden=64)
    at.button(key="dt_train").click().run()
    wait_for_steps(at)
    assert watched(at).active, "30 epochs cannot finish this soon"
    before_epoch_1 = not watched(at).val_acc
    assert (metric_values(at)["Validation accuracy"] == "—") == before_epoch_1  # no "after epo..." cut off
    assert chart(at, "dt_acc_chart")["layout"]["xaxis"]["dtick"] == 5  # 30 epochs: a tick every 5
    assert all(len(v) <= METRIC_CHARS for v in metric_values(at).values()), metric_values(at)
    assert not at.button(key="dt_stop").disabled and at.button(key="dt_train").disabled
    clicked = time.monotonic()
    at.button(key="dt_stop").click().run()
    store, workspace, run_id = run_store(), at.session_state["workspace"], watched(at).run_id
    while store.get(workspace, run_id).active:
        time.sleep(0.02)
    assert time.monotonic() - clicked < 1.5  # the click's own script run included
    run_until_idle(at, timeout=5)
    trained = at.session_state["model_shelf"].current
    assert trained.metrics["status"] == "stopped"
    assert 0 < trained.metrics["steps"] < trained.metrics["total_steps"]
    assert "stopped early (the partial model is kept)" in texts(at)
    assert at.session_state["model_shelf"].rows()[-1]["status"] == "stopped"
    assert at.button(key="dt_stop").disabled


def test_a_divergent_run_is_reported_and_not_kept_as_the_model():
    at = small_settings(fresh(), epochs=2, hidden=64)
    at.toggle(key="dt_faithful").set_value(True)
    at.selectbox(key="dt_optimizer").set_value("sgd")
    at.select_slider(key="dt_lr").set_value(1.0).run()
    at.button(key="dt_train").click().run()
    run_until_idle(at)
    assert any("diverged" in e.value and "learning rate" in e.value for e in at.error)
    assert all(len(v) <= METRIC_CHARS for v in metric_values(at).values()), metric_values(at)
    loss = chart(at, "dt_loss_chart")
    top = loss["layout"]["yaxis"]["range"][1]
    last_step = watched(at).steps[-1]
    drawn = [(x, y) for trace in loss["data"] for x, y in zip(trace["x"], trace["y"], strict=True)]
    assert all(y is not None and 0 <= y <= top for _, y in drawn)  # nothing off the chart, NaN included
    assert last_step in {x for x, _ in drawn}  # the diverged step is drawn
    shelf = at.session_state["model_shelf"]
    assert shelf.current is None and len(shelf) == 0
    assert shelf.rows()[-1]["status"] == "diverged"


@pytest.mark.parametrize("loss, samples_per_s, elapsed_s", [
    (2.302585, 812.4, 0.4), (math.inf, 45_000.0, 12.25), (3.7e4, 12_345_678.0, 5_000.0), (math.nan, 0.0, 999.9)])
def test_live_figures_fit_their_column(loss, samples_per_s, elapsed_s):
    event = TrainingEvent("step", 10, 1, loss, 0.5, samples_per_s, elapsed_s)
    for val_acc in ([], [0.9731]):
        shown = live_metrics(event, val_acc)
        assert [label for label, _, _ in shown] == ["Loss", "Running accuracy", "Validation accuracy", "Samples/s",
                                                    "Elapsed"]
        assert all(len(value) <= METRIC_CHARS for _, value, _ in shown), shown
    assert live_metrics(event, [0.9731])[2][1] == "97.3%"


def test_a_missing_folder_is_a_clear_error_and_train_is_disabled():
    at = fresh()
    at.selectbox(key="dt_source_kind").set_value("folder").run()
    assert "Type the path" in texts(at)
    from pytorch_explorer.core.paths import data_dir

    at.text_input(key="dt_source_path").set_value(str(data_dir() / "no" / "such" / "folder")).run()
    assert not at.exception
    assert any("does not exist" in e.value for e in at.error)
    assert at.button(key="dt_train").disabled


def test_a_path_outside_the_data_folder_is_refused_without_saying_what_is_there():
    at = fresh()
    at.selectbox(key="dt_source_kind").set_value("idx").run()
    at.text_input(key="dt_source_path").set_value("/etc").run()
    assert not at.exception and at.button(key="dt_train").disabled
    message = " ".join(e.value for e in at.error)
    assert "PTE_ALLOWED_DIRS" in message and "passwd" not in message and "does not exist" not in message


def test_a_png_folder_loads_reports_bad_files_and_reloads_after_a_change(tmp_path, monkeypatch):
    monkeypatch.setenv("PTE_ALLOWED_DIRS", str(tmp_path))  # the operator's setting for folders beside data/
    from pytorch_explorer.digits.data import make_png_folder

    root = make_png_folder(tmp_path / "digits", 40)
    images = root / "Train" / "Images" / "train"
    first = sorted(images.iterdir())[0]
    first.write_bytes(b"not a png")  # one undecodable image: skipped and reported
    at = fresh()
    at.selectbox(key="dt_source_kind").set_value("folder").run()
    at.text_input(key="dt_source_path").set_value(str(root)).run()
    assert not at.exception
    assert "39 digits" in texts(at)
    assert any("1 problem" in e.label for e in at.expander)
    # the user repairs the file on disk: the page keeps what it loaded until "Reload from disk"
    first.write_bytes(sorted(images.iterdir())[1].read_bytes())
    at.run()
    assert "39 digits" in texts(at)
    at.button(key="dt_reload").click().run()
    assert not at.exception
    assert "40 digits" in texts(at)
    assert not any("problem" in e.label for e in at.expander)
    assert not at.button(key="dt_train").disabled


def test_full_mnist_offers_a_download_and_does_not_load_before_it():
    at = fresh()
    at.selectbox(key="dt_source_kind").set_value("mnist").run()
    assert not at.exception
    assert "not on this machine yet" in texts(at)
    assert at.button(key="dt_download_mnist").label == "Download MNIST"
    assert at.button(key="dt_train").disabled


def test_a_device_error_offers_a_retry_on_cpu():
    at = small_settings(fresh())
    workspace = at.session_state["workspace"]
    # what the worker records when the device fails (a DeviceError's message), for a run on "cuda"
    config = TrainConfig(hidden=16, epochs=1, device="cuda").as_dict()
    failed = run_store().create_run(workspace, "digits", "run 1 (fixed)", config)
    run_store().finish(failed, "failed", "CUDA error: out of memory (simulated). Choose device 'cpu' and train again.")
    at.run()  # a reload: the page shows the workspace's last run
    assert any("out of memory (simulated)" in shown(e.value) for e in at.error)  # escaped for Markdown
    at.button(key="dt_retry_cpu").click().run()
    assert at.selectbox(key="dt_device").value == "cpu"
    run_until_idle(at)
    assert at.session_state["model_shelf"].current.metrics["device"] == "cpu"
    assert not any("simulated" in shown(e.value) for e in at.error)


# ----------------------------------------------------------------------------- the real page in Chromium
def set_slider(page, label: str, key: str) -> None:
    slider = page.get_by_test_id("stSlider").filter(has_text=label).get_by_role("slider").first
    slider.focus()
    slider.press(key)
    wait_idle(page)


@pytest.mark.browser
def test_train_live_stop_and_load_in_the_browser(page, app_url, tmp_path):
    open_page(page, app_url, "digits-trainer", timeout=120)
    expect_no_exception(page)
    set_slider(page, "Epochs", "Home")  # 1 epoch
    set_slider(page, "Hidden units", "Home")  # 16 units
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("finished: train accuracy").wait_for(timeout=120_000)
    wait_idle(page)
    expect_no_exception(page)
    body = page.inner_text("body")
    assert re.search(r"This run: [\d,]+ samples/s on cpu", body)
    assert "run 1 (fixed)" in body
    # the live charts: a loss curve with points and the accuracy chart, plus the overlay
    assert page.locator(".js-plotly-plot").count() >= 4
    screenshot(page, "digits-trainer-trained")
    loss_points = page.evaluate(
        "() => { const p = [...document.querySelectorAll('.js-plotly-plot')]"
        ".find(d => d.layout && d.layout.title && d.layout.title.text.includes('Training loss'));"
        " return p ? p.data[0].y.length : 0; }")
    assert loss_points > 5

    # a long run (30 epochs of 2,000 hidden units: minutes), stopped from the browser while it trains
    set_slider(page, "Epochs", "End")
    set_slider(page, "Hidden units", "End")
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text(re.compile(r"loop on cpu: epoch \d+ of 30, step \d+")).wait_for(timeout=60_000)
    time.sleep(1.0)
    cut = page.evaluate(  # a live figure cut off with an ellipsis ("after epo...")
        "() => [...document.querySelectorAll('[data-testid=\"stMetricValue\"], [data-testid=\"stMetricValue\"] *')]"
        ".filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)")
    assert not cut, cut
    page.get_by_role("button", name="Stop", exact=True).click()
    page.get_by_text("stopped early (the partial model is kept)").wait_for(timeout=60_000)
    wait_idle(page)
    expect_no_exception(page)
    assert "run 2 (fixed)" in page.inner_text("body")
    screenshot(page, "digits-trainer-stopped")

    assert page.get_by_role("button", name="Download the current model (.pt)").is_visible()

    # a file that is not a model gets a clear error; a saved model loads and becomes the current one
    bad = tmp_path / "not-a-model.pt"
    bad.write_bytes(b"hello")
    upload = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
    upload.set_input_files(str(bad))
    page.get_by_text("is not a PyTorch Explorer model file").wait_for(timeout=30_000)
    expect_no_exception(page)
    from pytorch_explorer.digits.data import DigitDataset, load_digits
    from pytorch_explorer.digits.models import save_checkpoint
    from pytorch_explorer.digits.training import TrainConfig, train_to_completion

    digits = load_digits("bundled")
    trained = train_to_completion(TrainConfig(hidden=8, epochs=1), DigitDataset(digits.images[:300],
                                                                                 digits.labels[:300], "bundled"))
    good = tmp_path / "tiny.pt"
    save_checkpoint(trained, good)
    upload.set_input_files(str(good))
    page.get_by_text("Current model: loaded: tiny.pt").wait_for(timeout=30_000)
    expect_no_exception(page)


def test_the_trainers_settings_come_from_the_url_and_survive_a_page_switch():
    from conftest import away_and_back, open_in_app, url_notes

    at = open_in_app("pages/digits_trainer.py", {"dt_epochs": "12", "dt_hidden": "1000", "dt_lr": "0.003"}, 60)
    assert (at.slider(key="dt_epochs").value, at.select_slider(key="dt_hidden").value) == (12, 1000)
    assert at.select_slider(key="dt_lr").value == 0.003 and not url_notes(at)
    at.slider(key="dt_epochs").set_value(20).run()
    at = away_and_back(at, "pages/digits_trainer.py", "pages/digits_probe.py", "Digits: probe")
    assert at.slider(key="dt_epochs").value == 20 and at.select_slider(key="dt_hidden").value == 1000


def test_a_link_asking_for_a_controls_own_first_value_gets_it():
    """Streamlit's binding keeps the session's value when the address holds the control's own default; the
    page's defaults (the article's) are not the controls' own, so these once opened at 5 epochs, fast path on."""
    from conftest import open_in_app, url_notes

    at = open_in_app("pages/digits_trainer.py", {"dt_epochs": "1", "dt_hidden": "16", "dt_seed": "0",
                                                 "dt_fast": "false", "dt_lr": "0.0001"}, 60)
    assert (at.slider(key="dt_epochs").value, at.select_slider(key="dt_hidden").value) == (1, 16)
    assert at.number_input(key="dt_seed").value == 0 and at.toggle(key="dt_fast").value is False
    assert at.select_slider(key="dt_lr").value == 0.0001 and not url_notes(at)


def test_hostile_trainer_settings_in_the_url_fall_back_with_a_note():
    from conftest import open_in_app, url_notes

    at = open_in_app("pages/digits_trainer.py", {"dt_epochs": "abc", "dt_hidden": "9" * 400, "dt_x": "<b>"}, 60)
    assert not at.exception and at.slider(key="dt_epochs").value == 5 and at.select_slider(key="dt_hidden").value == 500
    assert url_notes(at) and "`dt_x`" in url_notes(at)[0]


# ----------------------------------------------------------------------------- architectures, live predictions
def test_the_arch_select_shows_each_archs_options_and_its_size_before_training():
    at = fresh()
    assert at.selectbox(key="dt_arch").value == "MLP" and "**397,510 parameters**" in texts(at)
    at.selectbox(key="dt_arch").set_value("LeNet-5").run()
    assert not at.exception and "**61,706 parameters**" in texts(at) and "2.26 MFLOP" in texts(at)
    assert not any(s.key == "dt_hidden" for s in at.select_slider)  # the MLP's options are not LeNet's
    assert "torch.nn.Conv2d(1, 6, kernel_size=5, padding=2)" in at.code[-1].value
    at.selectbox(key="dt_arch").set_value("CNN").run()
    at.select_slider(key="dt_channels").set_value(8).run()
    at.slider(key="dt_conv_layers").set_value(1).run()
    at.slider(key="dt_dropout").set_value(0.0).run()
    at.toggle(key="dt_bn").set_value(False).run()
    assert not at.exception
    by_hand = (1 * 8 * 9 + 8) + 8 * 14 * 14 * 10 + 10  # conv 3x3 1->8 with bias, then 8x14x14 -> 10
    assert f"**{by_hand:,} parameters**" in texts(at)
    assert "torch.nn.Conv2d(1, 8, kernel_size=3, padding=1)" in at.code[-1].value
    assert re.search(r"This run: 3,500 training digits x 5 epochs at about [\d,]+ samples/s", texts(at))
    assert "The full MNIST: 49,000 training digits x 5 epochs" in texts(at)


def test_a_small_cnn_trains_and_its_predictions_grid_is_drawn():
    at = fresh()
    at.selectbox(key="dt_arch").set_value("CNN").run()
    at.select_slider(key="dt_channels").set_value(4).run()
    at.slider(key="dt_epochs").set_value(1).run()
    grid = chart(at, "dt_preview_grid") if any(c.proto.id.endswith("dt_preview_grid")
                                               for c in at.get("plotly_chart")) else None
    assert grid is None  # no run yet, no grid
    at.button(key="dt_train").click().run()
    run_until_idle(at)
    assert not at.exception
    shelf = at.session_state["model_shelf"]
    assert shelf.current.name == "run 1 (fixed, cnn)" and shelf.current.config.arch == "cnn"
    grid = chart(at, "dt_preview_grid")
    notes = grid["layout"]["annotations"]
    assert len(notes) == 40 and all(re.fullmatch(r"\d \(\d+%\)", n["text"]) for n in notes)
    colors = {n["font"]["color"] for n in notes}
    assert colors <= {"#2e7d32", "#c62828"} and "#2e7d32" in colors  # right in green (some, after an epoch)
    assert re.search(r"final model: \d+% right", grid["layout"]["title"]["text"])


def test_full_mnist_offline_says_so_and_changes_nothing(monkeypatch):
    import ui.digits_trainer as page_helpers
    from pytorch_explorer.core.errors import DataError

    def offline(**_):
        raise DataError("Could not reach any MNIST mirror (no internet connection?).")

    monkeypatch.setattr(page_helpers, "is_downloaded", lambda: False)
    monkeypatch.setattr(page_helpers, "download_mnist", offline)
    at = fresh()
    assert "this button first downloads it (about 11 MB" in texts(at)
    at.button(key="dt_mnist_train").click().run()
    assert not at.exception
    assert any("Could not download MNIST" in e.value and "no internet connection" in shown(e.value) for e in at.error)
    assert at.selectbox(key="dt_source_kind").value == "bundled" and watched(at) is None


@pytest.mark.browser
def test_a_small_cnn_trains_in_the_browser_and_its_guesses_turn_green(page, app_url):
    # the model comes in the address, as a shared link would bring it: an 8-channel CNN; then one epoch
    open_page(page, app_url, "digits-trainer?dt_arch=CNN&dt_channels=8", timeout=120)
    expect_no_exception(page)
    set_slider(page, "Epochs", "Home")  # 1 epoch
    body = page.inner_text("body")
    assert "Some settings" not in body  # every value in the address was taken
    assert "CNN: conv 3x3 x8 + BN - pool - conv 3x3 x16 + BN - pool" in body and re.search(r"[\d,]+ parameters", body)
    assert "The full MNIST: 49,000 training digits x 1 epoch at about" in body
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("finished: train accuracy").wait_for(timeout=180_000)
    wait_idle(page)
    expect_no_exception(page)
    grid = page.evaluate(
        "() => { const p = [...document.querySelectorAll('.js-plotly-plot')]"
        ".find(d => d.layout && d.layout.title && d.layout.title.text.includes('validation digits'));"
        " return p ? {title: p.layout.title.text, notes: p.layout.annotations.map(a => [a.text, a.font.color])} : null; }")
    assert grid is not None and "final model" in grid["title"]
    assert len(grid["notes"]) == 40 and any(color == "#2e7d32" for _, color in grid["notes"])
    page.get_by_text(re.compile(r"40 validation digits, final model")).scroll_into_view_if_needed()
    screenshot(page, "digits-trainer-cnn-grid")
