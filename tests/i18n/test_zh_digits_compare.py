"""Digits: compare in Chinese (?lang=zh): every text it shows (the baselines, the metrics, the maps), the package's
words it translates (figures, progress messages, convergence notes, the baselines' titles and blurbs), and settings
and results kept across a change of language."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from streamlit.testing.v1 import AppTest
from threadpoolctl import threadpool_limits
from visible import from_home, translate_literals, untranslated

from pytorch_explorer.compare import figures
from pytorch_explorer.compare.baselines import BASELINES, DigitSplit, baseline_words, convergence_notes
from pytorch_explorer.compare.embedding import embedding_steps
from pytorch_explorer.digits.models import MLPConfig, TrainedModel, build_mlp
from pytorch_explorer.digits.shelf import StoreShelf
from pytorch_explorer.i18n import catalogue, placeholders
from pytorch_explorer.runs import RunStore, new_workspace_id

PAGE = "pages/digits_compare.py"
CJK = re.compile(r"[\u4e00-\u9fff]")
SMALL = {"dc_points": "100"}


@pytest.fixture(scope="module", autouse=True)
def one_thread(one_torch_thread):
    with threadpool_limits(limits=1):
        yield


def package_templates() -> list[str]:
    """Every English text pytorch_explorer.compare passes to translate(...) as a literal."""
    return translate_literals("compare")


def test_every_text_the_package_can_show_has_a_chinese_entry_with_the_same_placeholders():
    templates = package_templates()
    assert len(templates) >= 15  # figures, progress messages, convergence notes
    templates += [text for spec in BASELINES.values() for text in (spec.title, spec.blurb)]
    table = catalogue("zh")
    assert [t for t in templates if t not in table] == []
    for text in templates:
        assert placeholders(table[text]) == placeholders(text), text
        assert CJK.search(table[text]), text


def test_the_baselines_figures_and_notes_in_chinese():
    assert baseline_words("logreg", "zh")[0] == "逻辑回归" and baseline_words("knn", "zh")[0] == "k 近邻"
    assert baseline_words("knn", "en") == (BASELINES["knn"].title, BASELINES["knn"].blurb)  # English unchanged
    confusion = figures.confusion_figure(np.eye(10, dtype=int) * 3, lang="zh")
    assert confusion.layout.title.text == "混淆矩阵" and confusion.layout.xaxis.title.text == "预测"
    assert confusion.layout.yaxis.title.text == "真实数字"
    assert confusion.data[0].hovertemplate == "真实 %{y}，预测 %{x}：%{z} 个<extra></extra>"
    assert figures.confusion_figure(np.eye(10, dtype=int)).layout.title.text == "Confusion matrix"
    rows = [{"name": "knn", "family": "scikit-learn", "val_acc": 0.93, "seconds": 0.01}]
    chart = figures.accuracy_time_figure(rows, "zh")
    assert chart.layout.title.text == "验证集准确率与拟合/训练耗时" and chart.layout.yaxis.title.text == "验证集准确率"
    assert chart.layout.xaxis.title.text == "秒（对数刻度）"
    points = figures.map_figure(np.zeros((3, 2)), np.array([1, 1, 7]), np.arange(3), title="原始像素的 PCA", lang="zh")
    assert points.layout.legend.title.text == "标签" and points.data[0].hovertemplate.startswith("数字 %{customdata[1]}")
    estimator = LogisticRegression(max_iter=5)
    estimator.n_iter_ = np.array([5])
    assert convergence_notes(estimator, "zh") == ["还没收敛就停在了 max_iter=5：多迭代几次或许还能略有提升。"]
    estimator.n_iter_ = np.array([3])
    assert convergence_notes(estimator, "zh") == ["迭代 3 次后收敛（最多 5 次）。"]
    assert convergence_notes(estimator) == ["Converged after 3 of at most 5 iterations."]


def test_the_maps_progress_speaks_chinese():
    rng = np.random.default_rng(0)
    x = rng.random((60, 784), dtype=np.float32)
    y = np.arange(60) % 10
    split = DigitSplit(x, y, x, y, (x.reshape(-1, 28, 28) * 255).astype(np.uint8), "bundled")
    torch.manual_seed(0)
    events = list(embedding_steps(split, build_mlp(MLPConfig(hidden=8)), "PCA", points=50, seed=0, lang="zh"))
    assert [e.message for e in events] == ["正在对 50 个数字的原始像素做 PCA……",
                                           "正在读取隐藏层（在最后一个 nn.Linear 上挂前向钩子）……",
                                           "正在对 8 维的隐藏层特征做 PCA……", "完成。"]
    assert events[0].message != next(embedding_steps(split, None, "PCA", points=50, seed=0)).message


NAMES = {"tiny", "PyTorch: tiny"}  # the model's name, which its owner gave it, in the selects of models


def with_model() -> str:
    """A fresh workspace holding one (untrained) digit model on its shelf."""
    store = RunStore()
    ws = new_workspace_id()
    torch.manual_seed(0)
    config = MLPConfig(hidden=8)
    trained = TrainedModel(model=build_mlp(config), config=config, hyperparameters={"hidden": 8, "epochs": 1},
                           metrics={"val_acc": 0.1, "train_acc": 0.1}, source="bundled", name="tiny")
    StoreShelf(store, ws).add(trained, "made by a test", name="tiny")
    store.close()
    return ws


def _run(at: AppTest) -> AppTest:
    at.run(timeout=180)
    assert not at.exception, at.exception
    return at


def through_the_home_page(query: dict):
    """The page reached from the home page, as a learner does (visible.from_home)."""
    return _run(from_home(PAGE, query, timeout=180))


def chart_titles(at: AppTest) -> list[str]:
    return [json.loads(c.proto.spec)["layout"].get("title", {}).get("text", "") for c in at.get("plotly_chart")]


def headers(frame) -> dict[str, str]:
    """column -> the header a table shows (its column_config label, else the column's own name)."""
    config = json.loads(frame.proto.columns or "{}")
    return {name: config.get(name, {}).get("label", name) for name in frame.value.columns}


def test_the_page_in_chinese_without_a_model():
    at = through_the_home_page({"lang": "zh", "ws": new_workspace_id(), **SMALL})
    assert at.title[0].value == "手写数字：对比"
    assert [t.label for t in at.tabs] == ["基线模型", "各类别指标", "隐藏层学到了什么"]
    assert at.button(key="dc_fit").label == "拟合 逻辑回归"
    assert at.button(key="dc_quick_train").label == "现在训练原文的 MLP"
    assert chart_titles(at) == ["原始像素的 PCA（每个数字 784 个数）"]
    assert "`bundled` 中有 3,500 个训练数字、1,500 个验证数字。" in [c.value for c in at.caption]
    assert [e.label for e in at.expander] == ["scikit-learn 代码：基线模型及其指标", "PyTorch 代码：已训练模型的指标",
                                              "PyTorch + scikit-learn 代码：映射图"]
    assert untranslated(at) == []


def test_fit_measure_and_map_in_chinese_then_switch_to_english_keeping_everything():
    at = through_the_home_page({"lang": "zh", "ws": with_model(), **SMALL})
    assert untranslated(at, NAMES) == []
    assert at.selectbox(key="dc_subject").label == "要评估的分类器"
    assert set(chart_titles(at)) >= {"原始像素的 PCA（每个数字 784 个数）", "隐藏层的 PCA（8 个单元）", "混淆矩阵"}
    at.selectbox(key="dc_model").set_value("knn")
    _run(at)
    assert at.button(key="dc_fit").label == "拟合 k 近邻" and any("完全不用训练" in c.value for c in at.caption)
    at.button(key="dc_fit").click()
    _run(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["验证集准确率"] == "93.20%" and metrics["拟合耗时"].endswith(" 秒")
    assert metrics["准确率（accuracy_score）"] == "93.20%"  # the metrics tab measures the baseline just fitted
    assert metrics["错误数"] == "102（共 1,500 个）"
    report = next(d for d in at.dataframe if "f1-score" in d.value.columns)
    assert headers(report) == {"class": "类别", "precision": "精确率", "recall": "召回率", "f1-score": "F1 分数",
                               "support": "样本数（support）"}
    assert list(report.value["class"])[-2:] == ["宏平均", "加权平均"]
    comparison = next(d for d in at.dataframe if "family" in d.value.columns)
    assert headers(comparison)["val_acc"] == "验证集准确率" and headers(comparison)["family"] == "库"
    assert "sklearn knn (bundled)" in list(comparison.value["name"])  # the run's name, as stored
    assert "验证集准确率与拟合/训练耗时" in chart_titles(at)
    assert untranslated(at, NAMES) == []
    at.radio(key="dc_method").set_value("t-SNE")
    _run(at)
    assert "隐藏层的 t-SNE（8 个单元）" in chart_titles(at)
    assert any("× 标出了模型判错的" in c.value for c in at.caption) and untranslated(at, NAMES) == []

    at.segmented_control(key="lang").set_value("en")
    _run(at)
    assert at.title[0].value == "Digits: compare"
    assert at.selectbox(key="dc_model").value == "knn" and at.radio(key="dc_method").value == "t-SNE"
    assert at.slider(key="dc_points").value == 100
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["validation accuracy"] == "93.20%" and metrics["mistakes"] == "102 of 1,500"  # the fit is kept
    assert list(next(d.value for d in at.dataframe if "f1-score" in d.value.columns)["class"])[-1] == "weighted avg"
    assert "t-SNE of the hidden layer (8 units)" in chart_titles(at)


@pytest.mark.browser
def test_digits_compare_in_chinese_in_the_browser(page, app_url):
    from conftest import expect_no_exception, open_page, screenshot, wait_idle
    from playwright.sync_api import expect

    open_page(page, app_url, f"digits-compare?lang=zh&ws={with_model()}&dc_points=200", timeout=180)
    expect(page.get_by_role("heading", name="手写数字：对比").first).to_be_visible()
    expect_no_exception(page)
    page.get_by_role("button", name="拟合 逻辑回归").click()
    wait_idle(page, 180)
    expect(page.get_by_test_id("stMetric").filter(has_text="验证集准确率").first).to_be_visible(timeout=120_000)
    expect_no_exception(page)
    screenshot(page, "zh-digits-compare-baseline")
    page.get_by_role("tab", name="各类别指标").click()
    expect(page.get_by_text("混淆矩阵").first).to_be_visible(timeout=60_000)
    screenshot(page, "zh-digits-compare-metrics")
    page.get_by_role("tab", name="隐藏层学到了什么").click()
    charts = page.get_by_test_id("stPlotlyChart").filter(has_text="隐藏层的 PCA")
    expect(charts.first).to_be_visible(timeout=60_000)
    charts.first.scroll_into_view_if_needed()
    expect_no_exception(page)
    screenshot(page, "zh-digits-compare-maps")
