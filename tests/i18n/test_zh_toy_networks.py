"""The Toy networks page in Chinese (?lang=zh): every text it shows, the package's words (the article's defects,
the tables' columns, the figures, the speed note), and the switch back to English keeping the page's settings.

The options of the controls bound to the URL (the five versions' titles, the initial weights) show in Chinese, while
the URL holds the options themselves, so a shared link opens the same in either language."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import open_in_app
from visible import from_home, translate_literals, untranslated

from pytorch_explorer.i18n import catalogue, placeholders
from pytorch_explorer.toy import code as toy_code
from pytorch_explorer.toy import figures, speed
from pytorch_explorer.toy.defects import ARTICLE_DEFECTS, article_defects
from pytorch_explorer.toy.gradcheck import gradient_check
from pytorch_explorer.toy.settings import (
    IMPLEMENTATION_TITLES,
    LOSS_NAME,
    SHORT_TITLES,
    UNTRANSLATED_TITLES,
    ToySettings,
    implementation_title,
    initial_weights,
    loss_name,
)
from pytorch_explorer.toy.training import ToyResult, summary_rows

PAGE = "pages/toy_networks.py"
CJK = re.compile(r"[\u4e00-\u9fff]")


def package_templates() -> list[str]:
    """Every English text pytorch_explorer.toy can show a learner in another language: the literals it passes to
    translate(...), and the texts of its tables that it translates by key (titles, defects, notes, problems)."""
    out = translate_literals("toy")
    out += [t for t in [*IMPLEMENTATION_TITLES.values(), *SHORT_TITLES.values()] if t not in UNTRANSLATED_TITLES]
    out += [LOSS_NAME, *(d[part] for d in ARTICLE_DEFECTS for part in ("defect", "effect"))]
    out += [toy_code.DEFECT_NOTES[n] for n in (1, 2, 3)] + list(toy_code.SAME_LABELS.values())
    return out + list(speed.PROBLEM_TITLES.values())


def test_every_text_the_package_shows_has_a_chinese_entry_with_the_same_placeholders():
    templates = package_templates()
    assert len(templates) >= 50
    table = catalogue("zh")
    assert [t for t in templates if t not in table] == []
    for text in templates:
        assert placeholders(table[text]) == placeholders(text), text
        assert CJK.search(table[text]), text


def test_the_defects_keep_their_code_and_speak_chinese():
    zh, en = article_defects("zh"), article_defects()
    assert en == ARTICLE_DEFECTS
    assert [d["line"] for d in zh] == [d["line"] for d in ARTICLE_DEFECTS]  # code is code in any language
    assert "output_layer_input1" in zh[0]["defect"] and "之前" in zh[0]["defect"]
    assert "d_hiddenlayer" in zh[2]["defect"] and "同一个标量" in zh[2]["effect"]
    assert all(CJK.search(d["defect"]) and CJK.search(d["effect"]) for d in zh)
    assert loss_name("zh").startswith("均方误差") and implementation_title("nn", "zh") == IMPLEMENTATION_TITLES["nn"]


def test_the_figures_and_tables_speak_chinese():
    curves = figures.loss_curves_figure({"numpy": [0.3, 0.2], "torch-article": [0.3, 0.25]}, lang="zh")
    assert curves.layout.title.text == "每轮的损失（均方误差）" and curves.layout.xaxis.title.text == "轮次"
    assert [t.name for t in curves.data] == ["1. numpy，手写反向传播", "2. PyTorch，手写，照原文原样"]
    rows = [speed.SpeedRow("tiny", "numpy", "cpu", 5, 0.02).as_dict(), speed.SpeedRow("large", "torch", "cpu", 1, 9).as_dict()]
    bars = figures.speed_figure(rows, "zh")
    assert list(bars.data[1].x) == ["大问题"] and CJK.search(bars.layout.yaxis.title.text)
    check = gradient_check(ToySettings())
    assert list(check.table("zh")[0])[:3] == ["参数", "1. numpy", "3. torch，已修正"]
    assert list(check.article_bias_rows("zh")[0]) == ["参数", "自动求导（带 bout）", "自动求导（无 bout，即实际计算的网络）",
                                                      "原文的手写梯度", "差值（对比无 bout）"]
    result = ToyResult("numpy", ToySettings(), initial_weights(), losses=[0.2, 0.01],
                       predictions=np.array([[0.95], [0.97], [0.05]]))
    [row] = summary_rows({"numpy": result}, lang="zh")
    assert row == {"版本": "numpy", "轮数": 2, "最终损失（MSE）": 0.01, "最大 |预测 - y|": pytest.approx(0.05),
                   "与 y 相差小于 0.1": "是"}
    aligned = toy_code.aligned_table(ToySettings(), "torch-article", "zh")
    defects = [r for r in aligned if r["异同"] == "错误"]
    assert len(defects) == 3 and defects[0]["备注"].startswith("错误 1：")
    assert {r["异同"] for r in aligned} == {"完全相同", "库的写法不同", "错误"}


def test_the_speed_note_in_chinese():
    rows = [speed.SpeedRow("tiny", "numpy", "cpu", 5, 0.02), speed.SpeedRow("tiny", "torch", "cpu", 5, 0.06),
            speed.SpeedRow("tiny", "torch", "cuda:0", 5, 0.2)]
    note = speed.speed_note(rows, "zh")
    assert "**原文的 3 x 4，3 个隐藏单元**：每轮 numpy 20 µs，CPU 上的 torch 60 µs：numpy 更快，约为另一方的 3.0 倍。" in note
    assert "在 cuda:0 上：200 µs（比 CPU 慢）。" in note and "GPU 在这里帮不上忙" in note and "本机没有 GPU" not in note
    assert "本机没有 GPU" in speed.speed_note(rows[:2], "zh") and speed.speed_note([], "zh") == "还没有测量。"


def _run(at):
    at.run(timeout=240)
    assert not at.exception, at.exception
    return at


def test_the_page_in_chinese_shows_no_english_left():
    at = open_in_app(PAGE, {"lang": "zh"}, timeout=120)
    assert at.title[0].value == "玩具网络"
    assert [tab.label for tab in at.tabs] == ["原文的网络", "梯度检验", "速度", "二维游乐场"]
    assert untranslated(at) == []
    assert at.slider(key="toy_epochs").label == "轮数" and at.multiselect(key="toy_impls").label == "并排训练这些版本"
    assert any("并排训练" in i.value for i in at.info)
    assert at.success[0].value.startswith("numpy 与修正后的 torch：每个梯度都与自动求导的结果一致")
    assert any(w.value.startswith("原文的 torch 代码：") for w in at.warning)
    bias = next(d.value for d in at.dataframe if "原文的手写梯度" in d.value.columns)
    assert bias["原文的手写梯度"].nunique() == 1  # one scalar for all: the numbers are the same in any language
    assert any("二维游乐场现在有了自己的页面" in m.value for m in at.markdown)
    assert at.expander[-1].label == "上面所选版本的 PyTorch 代码（使用当前设置）"
    assert "np.dot(X, wh)" in at.code[0].value and "epoch = 5000" in at.code[0].value  # the code stays Python


def test_training_in_chinese_shows_the_article_version_stuck(one_torch_thread):
    at = open_in_app(PAGE, {"lang": "zh"}, timeout=240)
    at.number_input(key="toy_seed").set_value(1)
    at.multiselect(key="toy_impls").set_value(["torch-article", "torch-fixed"])
    at.button(key="toy_train").click()
    _run(at)
    [stuck] = [w.value for w in at.warning if w.value.startswith("卡住了")]
    assert "X = [0, 1, 0, 1]" in stuck and "sigmoid(0) = 0.5" in stuck
    text = " ".join(m.value for m in at.markdown)
    assert "每个隐藏层偏置都移动了相同的量" in text and "前向传播跳过了它" in text
    assert "`bh += d_output.sum() *lr`：用的是输出层的误差 d_output" in text
    summary = next(d.value for d in at.dataframe if "版本" in d.value.columns).set_index("版本")
    assert summary.loc["3 torch，已修正", "与 y 相差小于 0.1"] == "是"
    assert summary.loc["2 torch，照原文", "与 y 相差小于 0.1"] == "否"
    assert any(c.value.startswith("损失：均方误差") for c in at.caption)
    assert untranslated(at) == []
    at.slider(key="toy_hidden").set_value(4)
    _run(at)
    assert any("这些结果来自之前的设置" in c.value for c in at.caption) and untranslated(at) == []


def test_the_speed_tab_in_chinese(one_torch_thread):
    at = open_in_app(PAGE, {"lang": "zh"}, timeout=120)
    at.number_input(key="toy_speed_tiny").set_value(10)
    at.number_input(key="toy_speed_large").set_value(1)
    at.button(key="toy_speed_run").click()
    _run(at)
    table = next(d.value for d in at.dataframe if "库" in d.value.columns)
    assert list(table.columns) == ["问题", "库", "设备", "计时轮数", "ms_per_epoch"]  # the last shown as 每轮耗时（ms）
    assert set(table["问题"]) == {"小问题", "大问题"} and (table["ms_per_epoch"] > 0).all()
    assert any("GPU 在这里帮不上忙" in m.value for m in at.markdown)
    assert untranslated(at) == []


def through_the_home_page(query: dict):
    """The page reached from the home page, as a learner does (visible.from_home)."""
    return _run(from_home(PAGE, query, timeout=240))


def test_switching_the_language_keeps_the_pages_settings_and_results(one_torch_thread):
    at = through_the_home_page({"lang": "zh"})
    assert at.title[0].value == "玩具网络" and untranslated(at) == []
    at.slider(key="toy_epochs").set_value(300)
    at.slider(key="toy_hidden").set_value(5)
    at.selectbox(key="toy_init").set_value("normal")
    at.multiselect(key="toy_impls").set_value(["numpy", "torch-article"])
    at.radio(key="toy_align_with").set_value("torch-fixed")
    at.button(key="toy_train").click()
    _run(at)
    assert any("每个隐藏层偏置都移动了相同的量" in m.value for m in at.markdown)
    at.segmented_control(key="lang").set_value("en")
    _run(at)
    assert at.title[0].value == "Toy networks" and at.tabs[1].label == "Gradient check"
    assert at.slider(key="toy_epochs").value == 300 and at.slider(key="toy_hidden").value == 5
    assert at.selectbox(key="toy_init").value == "normal" and at.radio(key="toy_align_with").value == "torch-fixed"
    assert at.multiselect(key="toy_impls").value == ["numpy", "torch-article"]
    summary = next(d.value for d in at.dataframe if "version" in d.value.columns)  # the results, now in English
    assert list(summary["epochs"]) == [300, 300]
    assert any("Every hidden bias moved by the same amount" in m.value for m in at.markdown)
    assert not any("earlier settings" in c.value for c in at.caption)  # still the results of these settings
    at.segmented_control(key="lang").set_value("zh")
    _run(at)
    assert at.title[0].value == "玩具网络" and at.slider(key="toy_hidden").value == 5 and untranslated(at) == []
    assert at.selectbox(key="toy_init").format_func("normal") == "标准正态分布（torch.randn）"
    assert (at.query_params["toy_init"], at.query_params["toy_align_with"]) == ("normal", "torch-fixed")


@pytest.mark.browser
def test_toy_networks_in_chinese_in_the_browser(page, app_url):
    from conftest import expect_no_exception, open_page, screenshot, wait_idle

    open_page(page, app_url, "toy-networks?lang=zh&toy_speed_tiny=10&toy_speed_large=1", timeout=120)
    page.get_by_text("上面所选版本的 PyTorch 代码").wait_for(timeout=120_000)
    wait_idle(page, timeout=120)
    expect_no_exception(page)
    page.get_by_role("button", name="并排训练", exact=True).click(timeout=60_000)
    wait_idle(page, timeout=240)
    expect_no_exception(page)
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    chart.locator(".scatterlayer .trace").first.wait_for(timeout=30_000)
    assert page.get_by_text("每轮的损失（均方误差）").count() == 1  # a figure's title, drawn by Plotly
    legend = chart.locator(".legend .legendtext").all_text_contents()
    assert "1. numpy，手写反向传播" in legend
    page.get_by_text("每个隐藏层偏置都移动了相同的量").wait_for(timeout=30_000)
    chart.scroll_into_view_if_needed()
    screenshot(page, "zh-toy-networks-trained")
    page.get_by_text("原文的错误在这次训练中造成了什么").scroll_into_view_if_needed()
    screenshot(page, "zh-toy-networks-defects")
    page.get_by_text("同样的内容，以逐行配对的表格显示").click()
    page.get_by_text("numpy 与 PyTorch 逐行对照").scroll_into_view_if_needed()
    screenshot(page, "zh-toy-networks-aligned")
    page.get_by_role("tab", name="梯度检验").click()
    page.get_by_text("每个梯度都与自动求导的结果一致").wait_for(timeout=30_000)
    screenshot(page, "zh-toy-networks-gradients")
    page.get_by_role("tab", name="速度").click()
    page.get_by_role("button", name="开始测量").click()
    wait_idle(page, timeout=180)
    expect_no_exception(page)
    page.get_by_text("GPU 在这里帮不上忙").wait_for(timeout=60_000)
    page.locator('[data-testid="stPlotlyChart"]').last.scroll_into_view_if_needed()
    screenshot(page, "zh-toy-networks-speed")
