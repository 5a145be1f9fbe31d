"""The Data loading page: AppTest drives each sampler, the batch size, drop_last, the article's mode, an absurd
batch size and the timing; a browser test opens /data-loading and saves screenshots."""

from __future__ import annotations

import pytest
from conftest import expect_no_exception, open_in_app, open_page, screenshot, url_notes, wait_idle

from pytorch_explorer.loading.samplers import MAX_BATCH_SIZE, SAMPLER_TITLES

PAGE_PATH = "pages/data_loading.py"


def _page(query: dict | None = None):
    return open_in_app(PAGE_PATH, query, timeout=120)


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _frame_with(at, column: str):
    frames = [d.value for d in at.dataframe if column in d.value.columns]
    assert frames, f"no table with a {column!r} column"
    return frames[0]


def _run(at):
    at.run(timeout=120)
    assert not at.exception, at.exception
    return at


def test_page_opens_on_a_shuffled_epoch_that_sees_every_digit_once():
    at = _page()
    assert at.title[0].value == "Data loading"
    assert _metrics(at) == {"Batches": "28", "Indices drawn": "3,500", "Never drawn": "0.0%", "Drawn again": "0"}
    assert any("every one of the 3,500 training digits was drawn exactly once" in m.value for m in at.markdown)
    assert len(at.get("plotly_chart")) == 3
    batch = _frame_with(at, "shape")
    assert batch["shape"].tolist() == ["(128, 784)", "(128,)", "(128,)"]
    assert "class DigitsDataset(Dataset):" in at.code[-1].value
    assert any("Time one epoch" in i.value for i in at.info)


@pytest.mark.parametrize("sampler, expected", [
    ("sequential", {"Batches": "28", "Never drawn": "0.0%"}),
    ("replacement", {"Batches": "28", "Indices drawn": "3,500"}),
    ("weighted", {"Batches": "28", "Indices drawn": "3,500"}),
    ("subset", {"Batches": "14", "Indices drawn": "1,750", "Never drawn": "50.0%"}),
])
def test_each_sampler(sampler, expected):
    at = _page()
    at.selectbox(key="dl_sampler").set_value(sampler)
    _run(at)
    metrics = _metrics(at)
    assert {k: metrics[k] for k in expected} == expected
    if sampler in ("replacement", "weighted"):
        never = float(metrics["Never drawn"].rstrip("%"))
        assert 30 < never < 44  # about e^-1 of the digits
        assert int(metrics["Drawn again"].replace(",", "")) > 1000
    code = at.code[-1].value
    assert SAMPLER_TITLES[sampler].split(" ")[0].split("(")[0] in code


def test_batch_size_and_drop_last():
    at = _page()
    at.number_input(key="dl_batch_size").set_value(1000)
    _run(at)
    assert _metrics(at)["Batches"] == "4" and _frame_with(at, "shape")["shape"][0] == "(1000, 784)"
    at.checkbox(key="dl_drop_last").check()
    _run(at)
    metrics = _metrics(at)
    assert metrics["Batches"] == "3" and metrics["Never drawn"] == "14.3%"
    assert any("drop_last dropped the last 500 indices" in m.value for m in at.markdown)
    at.checkbox(key="dl_collate").uncheck()
    _run(at)
    assert _frame_with(at, "shape")["shape"][0] == "(1000, 28, 28)"
    assert "collate_fn=None" in at.code[-1].value and "drop_last=True" in at.code[-1].value


def test_the_articles_mode_shows_its_defects_and_the_fix():
    at = _page()
    at.selectbox(key="dl_sampler").set_value("article")
    _run(at)
    metrics = _metrics(at)
    assert metrics["Batches"] == "39" and metrics["Indices drawn"] == "4,992"  # steps from the whole CSV
    assert 20 < float(metrics["Never drawn"].rstrip("%")) < 29 and "expected 24.0%" in at.metric[2].delta
    assert at.checkbox(key="dl_drop_last").disabled
    assert any("The article's batches, as written" in w.value for w in at.warning)
    table = _frame_with(at, "loop").set_index("loop")
    assert table.loc["done right (RandomSampler)", "steps per epoch"] == 28
    assert table.loc["done right (RandomSampler)", "never drawn"] == "0.0%"
    assert "rng.choice(len(train_labels), batch_size)  # DEFECT" in at.code[-1].value


def test_weighted_sampler_balances_an_imbalanced_set():
    at = _page()
    at.select_slider(key="dl_keep").set_value(0.1)
    _run(at)
    assert any("try **WeightedRandomSampler**" in m.value for m in at.markdown)
    at.selectbox(key="dl_sampler").set_value("weighted")
    _run(at)
    text = next(m.value for m in at.markdown if m.value.startswith("Digits in the data"))
    assert "from 2.6% (rarest)" in text and "however rare it is in the data" in text
    drawn_min = float(text.split("in this epoch's draws: from ")[1].split("%")[0])
    assert drawn_min > 7.0


def test_an_absurd_batch_size_is_handled():
    at = _page()
    at.number_input(key="dl_batch_size").set_value(MAX_BATCH_SIZE)
    _run(at)
    assert _metrics(at)["Batches"] == "1" and not at.error  # one batch of every digit
    at.checkbox(key="dl_drop_last").check()
    _run(at)
    assert any("untick drop_last" in e.value for e in at.error) and not at.metric
    at.checkbox(key="dl_drop_last").uncheck()
    at.selectbox(key="dl_sampler").set_value("article")
    _run(at)
    assert any("0 steps per epoch" in e.value for e in at.error)
    at.number_input(key="dl_batch_size").set_value(10**9)  # past the control's maximum: not taken
    _run(at)


def test_an_absurd_value_in_the_address_is_reported():
    at = _page({"dl_batch_size": "999999999", "dl_sampler": "magic"})
    assert at.number_input(key="dl_batch_size").value == 128
    notes = url_notes(at)
    assert notes and "dl_batch_size" in notes[0] and "dl_sampler" in notes[0]
    at = _page({"dl_sampler": SAMPLER_TITLES["article"], "dl_batch_size": "64"})
    assert _metrics(at)["Batches"] == str(int(5000 / 64)) and not url_notes(at)


def test_timing_is_measured_live(one_torch_thread):
    at = _page()
    at.number_input(key="dl_repeats").set_value(1)
    at.slider(key="dl_workers").set_value(1)
    at.button(key="dl_time").click()
    _run(at)
    table = _frame_with(at, "method")
    assert table["method"].tolist() == ["DataLoader, num_workers=0", "DataLoader, num_workers=1 (processes)",
                                        "tensors on cpu, randperm + index_select"]
    assert (table["ms per epoch (best)"] > 0).all() and not at.error
    assert any("That is why the trainer's fast path keeps the digits on the device" in m.value for m in at.markdown)


@pytest.mark.browser
def test_data_loading_in_the_browser(page, app_url):
    open_page(page, app_url, "data-loading", timeout=120)
    page.get_by_text("PyTorch code: this Dataset").wait_for(timeout=120_000)
    expect_no_exception(page)
    charts = page.locator('[data-testid="stPlotlyChart"]')
    charts.first.locator(".scatterlayer .trace").first.wait_for(timeout=60_000)
    assert charts.count() == 3
    page.get_by_test_id("stSelectbox").filter(has_text="Sampler").click()
    page.get_by_role("option", name=SAMPLER_TITLES["article"]).click()
    wait_idle(page, timeout=120)
    expect_no_exception(page)
    page.get_by_text("The article's batches, as written").wait_for(timeout=60_000)
    assert page.locator(".heatmaplayer").count() == 1
    screenshot(page, "data-loading-article")
    charts.first.scroll_into_view_if_needed()
    screenshot(page, "data-loading-article-charts")
    page.get_by_text("The article's batches, as written").scroll_into_view_if_needed()
    screenshot(page, "data-loading-article-fix")
    # the timing, with worker processes, under `streamlit run` (settings from the address)
    open_page(page, app_url, "data-loading?dl_workers=1&dl_repeats=2", timeout=120)
    page.get_by_role("tab", name="How fast").click()
    page.get_by_role("button", name="Time one epoch").click()
    wait_idle(page, timeout=180)
    expect_no_exception(page)
    page.get_by_text("That is why the trainer's fast path").wait_for(timeout=60_000)
    assert page.get_by_text("DataLoader, num_workers=1 (processes)").count() >= 1
    assert page.get_by_text("DataLoader workers could not run here").count() == 0
    page.locator('[data-testid="stPlotlyChart"]').last.scroll_into_view_if_needed()
    screenshot(page, "data-loading-timing")
