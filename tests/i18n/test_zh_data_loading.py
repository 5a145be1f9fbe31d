"""The Data loading page in Chinese (?lang=zh): every text it shows, the package's notes and figures, and the
switch back to English keeping the page's settings."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from conftest import open_in_app
from visible import from_home, translate_literals, untranslated

from pytorch_explorer.i18n import catalogue, placeholders
from pytorch_explorer.loading import figures, timing
from pytorch_explorer.loading.coverage import class_counts_per_batch, coverage_stats, dataset_shares
from pytorch_explorer.loading.samplers import EmptyEpochError, SamplerSpec, epoch_indices
from pytorch_explorer.loading.timing import TimingEvent, timing_note, timing_rows

PAGE = "pages/data_loading.py"
# The device select's "auto" is a setting's value, named as it is in its help ("auto：有 GPU 就用 GPU…").
CODE_VALUES = {"auto"}
CJK = re.compile(r"[\u4e00-\u9fff]")
LABELS = np.arange(200) % 10


def package_templates() -> list[str]:
    """Every English text pytorch_explorer.loading passes to translate(...): all it can show a learner."""
    return translate_literals("loading", allowed=frozenset())


def test_every_template_the_package_produces_has_a_chinese_entry_with_the_same_placeholders():
    templates = package_templates()
    assert len(templates) >= 25  # figures, timing and sampler errors
    table = catalogue("zh")
    assert [t for t in templates if t not in table] == []
    for text in templates:
        assert placeholders(table[text]) == placeholders(text), text
        assert CJK.search(table[text]), text


def test_the_figures_speak_chinese():
    batches = epoch_indices(SamplerSpec("replacement"), LABELS, 20, seed=0)
    cov = coverage_stats(batches, 200, expected_unseen=0.37)
    rows = [{"method": "DataLoader", "key": "loader-0", "ms per epoch (best)": 30.0}]
    shown = [figures.draws_figure(batches, 200, cov.counts, "zh"), figures.seen_histogram_figure(cov, "zh"),
             figures.class_balance_figure(class_counts_per_batch(batches, LABELS), dataset_shares(LABELS), "zh"),
             figures.timing_figure(rows, "zh")]
    for fig in shown:
        assert CJK.search(fig.layout.title.text) and CJK.search(fig.layout.xaxis.title.text)
    assert {t.name for t in shown[0].data} == {"样本首次被抽到", "重复抽到（本轮已抽过）", "从未抽到（第 0 行）"}
    assert shown[1].data[1].hovertemplate == "预期：74<extra></extra>"  # the value filled in after translating
    assert list(shown[2].data[0].x)[:2] == ["数据", "1"]
    assert figures.draws_figure(batches, 200, cov.counts).layout.title.text == "Which indices each batch drew"


def test_the_timing_titles_errors_and_note_in_chinese():
    assert timing.method_title("device", torch.device("cpu"), "zh") == "张量常驻 cpu，randperm + index_select"
    assert timing.method_title("loader-2", "cpu", "zh") == "DataLoader，num_workers=2（多进程）"
    assert timing.method_title("loader-0", "cpu", "zh") == "DataLoader, num_workers=0"  # code, in any language
    error = timing.worker_error(RuntimeError("boom"), 2, "zh")
    assert "RuntimeError: boom" in error and "工作进程" in error
    base = [TimingEvent("loader-0", "DataLoader", 1, 0.030, 3500, 28), TimingEvent("device", "tensors", 1, 0.002, 3500, 28)]
    slow = timing_note(timing_rows(base + [TimingEvent("loader-2", "workers", 1, 0.300, 3500, 28)]), "zh")
    fast = timing_note(timing_rows(base + [TimingEvent("loader-2", "workers", 1, 0.010, 3500, 28)]), "zh")
    assert "**30.0 ms**" in slow and "**2.00 ms**" in slow and "**15x**" in slow
    assert "**300 ms**，比不用时更慢" in slow and "**10 ms**，比不用时更快" in fast


def test_an_empty_epoch_is_explained_in_chinese():
    with pytest.raises(EmptyEpochError, match="untick drop_last") as caught:  # English unless asked
        epoch_indices(SamplerSpec("random"), LABELS, 500, seed=0, drop_last=True)
    assert "取消勾选 drop_last" in caught.value.message("zh")
    with pytest.raises(EmptyEpochError, match="= 0 steps per epoch") as caught:
        epoch_indices(SamplerSpec("article", csv_rows=200), LABELS, 500, seed=0)
    assert "0 步" in caught.value.message("zh")


def _run(at):
    at.run(timeout=120)
    assert not at.exception, at.exception
    return at


def test_the_page_in_chinese_shows_no_english_left():
    at = open_in_app(PAGE, {"lang": "zh"}, timeout=120)
    assert at.title[0].value == "数据加载"
    assert untranslated(at, CODE_VALUES) == []
    assert [tab.label for tab in at.tabs] == ["一轮抽样", "加载速度"]
    assert {m.label for m in at.metric} == {"批次数", "抽取的索引数", "从未抽到", "重复抽到"}
    assert any("恰好被抽到一次" in m.value for m in at.markdown)
    assert list(at.dataframe[0].value.columns) == ["字段", "形状", "dtype"]
    assert at.expander[-1].label.startswith("PyTorch 代码")


def test_the_articles_sampler_and_the_weighted_sampler_in_chinese():
    at = open_in_app(PAGE, {"lang": "zh", "dl_keep": "10%"}, timeout=120)
    assert any("试试 **WeightedRandomSampler**" in m.value for m in at.markdown)
    at.selectbox(key="dl_sampler").set_value("article")
    _run(at)
    assert any("原文的批次写法" in w.value for w in at.warning)
    article = next(d.value for d in at.dataframe if "循环写法" in d.value.columns).set_index("循环写法")
    assert article.loc["正确做法（RandomSampler）", "从未抽到"] == "0.0%"
    assert article.loc["原文（rng.choice）", "每轮步数"] > article.loc["正确做法（RandomSampler）", "每轮步数"]
    assert untranslated(at, CODE_VALUES) == []
    at.selectbox(key="dl_sampler").set_value("weighted")
    _run(at)
    assert any("无论一个数字在数据中有多稀少" in m.value for m in at.markdown)
    assert untranslated(at, CODE_VALUES) == []
    at.checkbox(key="dl_drop_last").check()
    at.number_input(key="dl_batch_size").set_value(5000)
    _run(at)
    assert any("取消勾选 drop_last" in e.value for e in at.error) and untranslated(at, CODE_VALUES) == []


def test_the_timing_in_chinese(one_torch_thread):
    at = open_in_app(PAGE, {"lang": "zh"}, timeout=120)
    at.number_input(key="dl_repeats").set_value(1)
    at.button(key="dl_time").click()
    _run(at)
    table = next(d.value for d in at.dataframe if "方式" in d.value.columns)
    assert table["方式"].tolist() == ["DataLoader, num_workers=0", "张量常驻 cpu，randperm + index_select"]
    assert (table["每轮耗时 ms（最快）"] > 0).all() and not at.error
    assert any("快速路径把手写数字留在设备上" in m.value for m in at.markdown)
    assert any(c.value.startswith("测量条件：") for c in at.caption)
    assert untranslated(at, CODE_VALUES) == []


def through_the_home_page(query: dict):
    """The page reached from the home page, as a learner does (visible.from_home)."""
    return _run(from_home(PAGE, query, timeout=120))


def test_switching_the_language_keeps_the_pages_settings_and_results(one_torch_thread):
    at = through_the_home_page({"lang": "zh"})
    assert at.title[0].value == "数据加载" and untranslated(at, CODE_VALUES) == []
    at.selectbox(key="dl_sampler").set_value("subset")
    at.number_input(key="dl_batch_size").set_value(250)
    at.number_input(key="dl_repeats").set_value(1)
    at.button(key="dl_time").click()
    _run(at)
    assert {m.label: m.value for m in at.metric}["批次数"] == "7"
    at.segmented_control(key="lang").set_value("en")
    _run(at)
    assert at.title[0].value == "Data loading"
    assert at.selectbox(key="dl_sampler").value == "subset" and at.number_input(key="dl_batch_size").value == 250
    assert {m.label: m.value for m in at.metric}["Batches"] == "7"
    timed = next(d.value for d in at.dataframe if "method" in d.value.columns)  # the timing, now named in English
    assert timed["method"].tolist()[-1] == "tensors on cpu, randperm + index_select"
    at.segmented_control(key="lang").set_value("zh")
    _run(at)
    assert at.title[0].value == "数据加载" and at.selectbox(key="dl_sampler").value == "subset"


@pytest.mark.browser
def test_data_loading_in_chinese_in_the_browser(page, app_url):
    from conftest import expect_no_exception, open_page, screenshot, wait_idle

    open_page(page, app_url, "data-loading?lang=zh&dl_sampler=" + "The article's rng.choice batches (faithful, with "
              "its defects)".replace(" ", "+"), timeout=120)
    page.get_by_text("原文的批次写法").wait_for(timeout=120_000)
    expect_no_exception(page)
    page.locator('[data-testid="stPlotlyChart"]').first.locator(".scatterlayer .trace").first.wait_for(timeout=60_000)
    assert page.get_by_text("每个批次抽到了哪些索引").count() == 1  # a figure's title, drawn by Plotly
    screenshot(page, "zh-data-loading-article")
    page.get_by_role("tab", name="加载速度").click()
    page.get_by_role("button", name="测量一轮耗时").click()
    wait_idle(page, timeout=180)
    expect_no_exception(page)
    page.get_by_text("快速路径把手写数字留在设备上").wait_for(timeout=60_000)
    page.locator('[data-testid="stPlotlyChart"]').last.scroll_into_view_if_needed()
    screenshot(page, "zh-data-loading-timing")
