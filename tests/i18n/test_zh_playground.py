"""The Toy playground in Chinese (?lang=zh): every text it shows, the live panel (an st.fragment) included, the
package's figures and messages, and the switch back to English keeping the network and its settings."""

from __future__ import annotations

import json
import re
import time

import pytest
from conftest import open_in_app
from test_zh_optimizers import raised_templates
from visible import translate_literals, untranslated

from pytorch_explorer.i18n import catalogue, placeholders
from pytorch_explorer.playground import figures
from pytorch_explorer.playground.config import PlaygroundConfig, check_features, parse_layers
from pytorch_explorer.playground.data import PlaygroundError
from pytorch_explorer.playground.trainer import PlaygroundTrainer, diagnosis

PAGE = "pages/playground.py"
CJK = re.compile(r"[\u4e00-\u9fff]")
SMALL = {"points": 80, "batch_size": 10}
SYMBOLS = {"−"}  # the "one neuron less" buttons: a minus sign (U+2212), beside "+", in any language


def package_templates() -> list[str]:
    """Every English text pytorch_explorer.playground passes to translate(...), and its errors' templates: all it
    can show a learner."""
    return translate_literals("playground", allowed=frozenset()) + raised_templates("playground")


def test_every_template_the_package_produces_has_a_chinese_entry_with_the_same_placeholders():
    templates = package_templates()
    assert len(templates) >= 30  # figures, diagnosis (translated), the layers box's and the features' errors (raised)
    table = catalogue("zh")
    assert [t for t in templates if t not in table] == []
    for text in templates:
        assert placeholders(table[text]) == placeholders(text), text
        assert CJK.search(table[text]), text


def test_the_figures_speak_chinese_and_stay_english_by_default():
    trainer = PlaygroundTrainer(PlaygroundConfig(layers=(3, 2), **SMALL))
    trainer.step(1)
    xs, grids = trainer.node_grids(6)
    net = figures.network_figure(grids, trainer.weights(), trainer.config.features, lang="zh")
    titles = [a.text for a in net.layout.annotations if a.text.startswith("<b>")]
    assert titles == ["<b>输入</b>", "<b>隐藏层 1</b>", "<b>隐藏层 2</b>", "<b>输出</b>"]
    assert net.data[0].hovertext[0] == "<b>输入 x1</b>"
    assert net.data[0].hovertext[2].startswith("<b>隐藏层 1，神经元 1</b><br>偏置 ") and "输入权重：" in net.data[0].hovertext[2]
    out = figures.output_figure(xs, grids[-1][0], trainer.X_train, trainer.y_train, trainer.X_test, trainer.y_test,
                                lang="zh")
    assert [t.name for t in out.data] == ["输出", "训练数据点", "测试数据点"] and "输出=%{z:.2f}" in out.data[0].hovertemplate
    curves = figures.loss_figure(trainer.train_losses, trainer.test_losses, lang="zh")
    assert [t.name for t in curves.data] == ["训练损失", "测试损失"]
    assert curves.layout.xaxis.title.text == "轮次" and curves.layout.yaxis.title.text == "损失"
    bars = figures.gradient_figure(trainer.gradient_magnitudes(), "zh")
    assert list(bars.data[0].x) == ["第 1 层", "第 2 层", "输出层"] and CJK.search(bars.layout.yaxis.title.text)
    import numpy as np

    land = figures.landscape_figure(np.linspace(-1, 1, 3), np.linspace(-1, 1, 3), np.ones((3, 3)), "zh")
    assert land.data[1].name == "当前权重" and land.layout.xaxis.title.text == "α（方向 1）"
    assert "损失=%{customdata:.4f}" in land.data[0].hovertemplate
    english = figures.network_figure(None, trainer.weights(), trainer.config.features)
    assert english.data[0].hovertext[0] == "<b>input x1</b>" and "<b>Hidden 1</b>" in [a.text for a in
                                                                                          english.layout.annotations]
    assert figures.loss_figure([1.0], [1.0]).layout.yaxis.title.text == "loss"


def test_what_went_wrong_is_said_in_chinese():
    diverged = PlaygroundTrainer(PlaygroundConfig(problem="plane", lr=10.0, **SMALL))
    diverged.step(20)
    [(level, message)] = diagnosis(diverged, lang="zh")
    assert level == "error" and f"训练在第 {diverged.diverged_at} 轮发散了" in message and "学习率为 10 时" in message
    sigmoid = PlaygroundTrainer(PlaygroundConfig(layers=(8,) * 6, activation="sigmoid", **SMALL))
    messages = dict(diagnosis(sigmoid, lang="zh"))
    assert messages["warning"].startswith("梯度消失：最后一层的梯度是第一层的 ")
    assert "6 个隐藏层，sigmoid" in messages["warning"] and "斜率最多只有 0.25" in messages["warning"]
    assert "Vanishing gradients" in dict(diagnosis(sigmoid))["warning"]  # English unless asked


@pytest.mark.parametrize("check, given, english, words", [
    (parse_layers, "1-1-1-1-1-1-1", "at most 6 hidden layers", "最多只能有 6 个隐藏层，而不是 7 个"),
    (parse_layers, "9", "1 to 8 neurons (asked: 9)", "1 到 8 个神经元（你填写的是：9）"),
    (parse_layers, "4;2", "like 4-2 or 8-8-8-8 (not '4;2')", "例如 4-2 或 8-8-8-8（而不是 '4;2'）"),
    (check_features, (), "among x1, x2, ", "中选择一个或多个不同的输入特征"),
])
def test_the_learners_own_mistakes_are_refused_in_chinese(check, given, english, words):
    with pytest.raises(PlaygroundError, match=re.escape(english)) as caught:  # English unless asked
        check(given)
    assert words in caught.value.message("zh")


# ---------------------------------------------------------------- the page
def _run(at):
    at.run(timeout=90)
    assert not at.exception, at.exception
    return at


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_the_page_in_chinese_shows_no_english_left_and_steps():
    at = open_in_app(PAGE, {"lang": "zh"}, timeout=90)
    assert at.title[0].value == "神经网络游乐场"
    assert untranslated(at, SYMBOLS) == []
    assert set(metrics(at)) == {"轮次", "训练损失", "测试损失", "训练准确率"} and metrics(at)["轮次"] == "0"
    assert at.button(key="pg_play").label == "运行" and at.button(key="pg_step").label == "单步"
    assert [tab.label for tab in at.tabs] == ["各层梯度", "损失曲面"]
    assert [c.value for c in at.caption][:2] == ["第 1 层：4 个神经元", "第 2 层：2 个神经元"]
    assert any("把鼠标悬停在节点上" in c.value for c in at.caption)  # drawn inside the live panel (a fragment)
    assert at.expander[-1].label == "PyTorch 代码：这个网络及其训练循环（1 轮）"
    assert "nn.Linear(2, 4), nn.Tanh()" in at.code[-1].value  # the code stays code
    at.button(key="pg_step").click()
    _run(at)
    assert metrics(at)["轮次"] == "1" and untranslated(at, SYMBOLS) == []
    at.button(key="pg_add_layer").click()
    _run(at)
    assert at.text_input(key="pg_layers").value == "4-2-2" and "第 3 层：2 个神经元" in [c.value for c in at.caption]
    at.toggle(key="pg_landscape").set_value(True)
    _run(at)
    names = [[t.get("name") for t in json.loads(c.proto.spec)["data"]] for c in at.get("plotly_chart")]
    assert [None, "当前权重"] in names  # the landscape: its contour, and the cross named in Chinese
    assert untranslated(at, SYMBOLS) == []


def test_play_and_pause_in_chinese():
    at = open_in_app(PAGE, {"lang": "zh"}, timeout=90)
    at.button(key="pg_play").click()
    _run(at)
    assert at.session_state["pg_playing"] is True and at.button(key="pg_pause").label == "暂停"
    assert at.session_state["pg_trainer"].seconds > 0 and untranslated(at, SYMBOLS) == []
    at.button(key="pg_pause").click()
    _run(at)
    assert at.session_state["pg_playing"] is False and at.button(key="pg_play").label == "运行"


def test_bad_settings_are_explained_in_chinese():
    at = open_in_app(PAGE, {"lang": "zh", "pg_problem": "Regression: plane", "pg_lr": "10.0"}, timeout=90)
    at.button(key="pg_play").click()
    _run(at)
    [error] = at.error
    assert "发散了" in error.value and "请降低学习率" in error.value and at.button(key="pg_play").disabled
    assert untranslated(at, SYMBOLS) == []
    at = open_in_app(PAGE, {"lang": "zh", "pg_layers": "8-8-8-8-8-8", "pg_activation": "Sigmoid"}, timeout=90)
    assert any(w.value.startswith("梯度消失") for w in at.warning) and untranslated(at, SYMBOLS) == []
    at = open_in_app(PAGE, {"lang": "zh", "pg_layers": "99-99-99-99-99-99-99-99"}, timeout=90)
    assert [e.value for e in at.error] == ["最多只能有 6 个隐藏层，而不是 8 个：请减少层数。 下面的网络保留上一次可用的设置。"]
    at.multiselect(key="pg_features").set_value([])
    at.text_input(key="pg_layers").set_value("4-2")
    _run(at)
    assert any("请从 x1, x2" in e.value and "选择一个或多个不同的输入特征" in e.value for e in at.error)
    assert untranslated(at, SYMBOLS) == []


def switch_language(at, chosen: str):
    """What the sidebar's English / 中文 control does: its value in the session (key "lang"). (AppTest cannot
    reach that control here: this page's url_path is its file's name, so AppTest's switch_page runs the file as a
    pages/-folder page, without app.py and its sidebar; the browser test below opens it through app.py.)"""
    at.session_state["lang"] = chosen
    return _run(at)


def test_switching_the_language_keeps_the_network_and_its_settings():
    at = open_in_app(PAGE, {"lang": "zh"}, timeout=90)
    at.selectbox(key="pg_problem").set_value("xor")
    at.text_input(key="pg_layers").set_value("3-3")
    _run(at)
    at.button(key="pg_step").click()
    _run(at)
    trainer = at.session_state["pg_trainer"]
    assert metrics(at)["轮次"] == "1"
    switch_language(at, "en")
    assert at.title[0].value == "Toy playground" and metrics(at)["Epoch"] == "1"
    assert at.session_state["pg_trainer"] is trainer  # the same network goes on, in English
    assert at.selectbox(key="pg_problem").value == "xor" and at.text_input(key="pg_layers").value == "3-3"
    assert at.button(key="pg_play").label == "Play" and at.tabs[0].label == "Gradients per layer"
    switch_language(at, "zh")
    assert at.title[0].value == "神经网络游乐场" and metrics(at)["轮次"] == "1" and untranslated(at, SYMBOLS) == []
    assert at.session_state["pg_trainer"] is trainer


# ---------------------------------------------------------------- in a browser
EPOCH_VALUE = '[data-testid="stMetric"]:has-text("轮次") [data-testid="stMetricValue"]'


@pytest.mark.browser
def test_the_playground_in_chinese_plays_and_pauses_in_the_browser(page, app_url):
    from conftest import expect_no_exception, open_page, screenshot
    from playwright.sync_api import expect

    def epoch() -> int:
        return int(page.locator(EPOCH_VALUE).first.inner_text().replace(",", ""))

    open_page(page, app_url, "playground?lang=zh&pg_batch=30&pg_train_pct=10&pg_show_test=true", timeout=120)
    page.get_by_text("PyTorch 代码：这个网络及其训练循环").wait_for(timeout=120_000)
    expect_no_exception(page)
    page.get_by_role("button", name="运行", exact=True).click()
    deadline = time.time() + 120
    while epoch() <= 30:
        assert time.time() < deadline, f"epoch {epoch()} after 120 s of play"
        time.sleep(0.2)
    page.get_by_role("button", name="暂停", exact=True).click()
    try:  # the panel redraws five times a second: a click that landed on a button being replaced is made again
        page.get_by_role("button", name="运行", exact=True).wait_for(timeout=5_000)
    except Exception:  # noqa: BLE001 - playwright's TimeoutError
        page.get_by_role("button", name="暂停", exact=True).click()
    time.sleep(0.5)
    stopped = epoch()
    time.sleep(1.5)
    assert epoch() == stopped, "the epoch counter went on after 暂停"
    page.get_by_role("button", name="运行", exact=True).wait_for(timeout=10_000)
    expect(page.get_by_role("button", name="单步", exact=True)).to_be_enabled(timeout=60_000)  # the page reran too,
    page.get_by_text(f"这个网络及其训练循环（{stopped} 轮）").wait_for(timeout=60_000)  # down to its code expander
    expect_no_exception(page)
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    assert chart.get_by_text("隐藏层 1").count() == 1 and chart.get_by_text("输出").count() >= 1  # Plotly's own text
    assert page.get_by_text("训练数据点").count() >= 1  # the output figure's legend
    chart.scroll_into_view_if_needed()
    screenshot(page, "zh-playground-paused")
    page.get_by_role("tab", name="各层梯度").click()
    page.get_by_text("输出层").first.wait_for(timeout=30_000)  # the gradient bars' axis, drawn by Plotly
    page.get_by_role("tab", name="各层梯度").scroll_into_view_if_needed()
    screenshot(page, "zh-playground-beyond")
