"""The Runs page in Chinese (?lang=zh): the table (headers, page, status, duration), the overlay's titles, one run's
actions, the import box, an empty workspace; what is stored stays as stored; the filters show their choices in
Chinese (the URL holds the English page name) and the settings survive a change of language."""

from __future__ import annotations

import json
import os
import re

import numpy as np
import pytest
import torch
from conftest import ROOT
from streamlit.testing.v1 import AppTest
from visible import untranslated

from pytorch_explorer.digits.models import MLPConfig, TrainedModel, build_mlp, save_checkpoint
from pytorch_explorer.i18n import catalogue
from pytorch_explorer.runs import RunStore, new_workspace_id, views
from pytorch_explorer.runs.store import STATUSES

PAGE = "pages/runs.py"
NAMES = {"wide net", "toy 4-3-1", "laptop"}  # runs' names, as their owner gave them, in the selects of runs
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def store():
    s = RunStore()  # the folder the app's run_store() opens ($PTE_DATA_DIR/runs)
    yield s
    s.close()


def seed_run(store: RunStore, ws: str, name: str, kind: str = "digits", losses=(2.3, 1.2, 0.8, 0.5),
             checkpoint: bool = True) -> str:
    """A finished run with step losses, two epochs' accuracies and (optionally) a checkpoint."""
    run_id = store.create_run(ws, kind, name, {"hidden": 4, "epochs": 2}, source="bundled")
    store.claim(run_id, pid=os.getpid(), device="cpu")
    store.record(run_id, [{"kind": "step", "step": s, "epoch": 1 + (s - 1) // 2, "loss": v}
                          for s, v in enumerate(losses, start=1)], steps=len(losses), device="cpu")
    store.record(run_id, [{"kind": "epoch", "step": 2 * e, "epoch": e, "val_acc": a, "train_acc": a}
                          for e, a in ((1, 0.6), (2, 0.8))], epoch=2, val_acc=0.8, train_seconds=75.0)
    if checkpoint:
        torch.manual_seed(0)
        config = MLPConfig(hidden=4)
        model = TrainedModel(model=build_mlp(config), config=config, hyperparameters={"hidden": 4, "epochs": 2},
                             metrics={"val_acc": 0.8}, source="bundled", name=name)
        store.write_checkpoint(run_id, save_checkpoint(model), 2)
    store.finish(run_id, "done", summary={"val_acc": 0.8})
    return run_id


def test_every_page_status_and_duration_the_table_shows_has_a_chinese_word():
    table = catalogue("zh")
    assert [p for p in views.PAGE_OF_KIND.values() if p not in table] == []
    assert all(CJK.search(views.status_label(s, "zh")) for s in STATUSES)
    assert [views.status_label(s) for s in STATUSES] == list(STATUSES)  # English: the stored word
    assert views.page_of("baseline", "zh") == "手写数字：对比" and views.page_of("baseline") == "Digits: compare"
    assert views.page_of("a-new-kind", "zh") == "a-new-kind"
    assert [views.format_duration(s, "zh") for s in (4.2, 42, 185, 3720)] == ["4.2 秒", "42 秒", "3 分 05 秒",
                                                                             "1 小时 02 分"]
    assert [views.format_duration(s) for s in (4.2, 185, 3720)] == ["4.2 s", "3 min 05 s", "1 h 02 min"]


def test_the_overlay_figure_in_chinese_and_unchanged_in_english():
    series = {"a": {"loss_steps": [1, 2, 3], "loss_history": [2.3, float("nan"), 0.5], "epoch_val_acc": [0.5, 0.7]},
              "b": {"loss_steps": [1, 2], "loss_history": [2.0, 1.0], "epoch_val_acc": [0.6]}}
    english = views.runs_overlay_figure(series)
    fig = views.runs_overlay_figure(series, "zh")  # the trainer's figure, the same on both pages
    assert fig.layout.title.text == "训练记录对比"
    assert [a.text for a in fig.layout.annotations] == ["损失", "验证集准确率"]
    assert fig.layout.xaxis.title.text == "步数" and fig.layout.xaxis2.title.text == "轮次"
    assert fig.layout.yaxis.title.text.startswith("损失（截断于 ")  # the NaN sits on the top edge
    ceiling = re.search(r"clipped at ([\d.]+):", english.layout.yaxis.title.text).group(1)
    assert f"截断于 {ceiling}：" in fig.layout.yaxis.title.text  # the same ceiling
    assert "a：超出坐标范围" in {t.name for t in fig.data}
    assert [list(t.y) for t in fig.data] == [list(t.y) for t in english.data]  # the same curves
    plain = views.runs_overlay_figure({"b": series["b"]}, "zh")
    assert plain.layout.yaxis.title.text == "损失"
    assert views.runs_overlay_figure(series, "en").to_json() == english.to_json()


def _run(at: AppTest) -> AppTest:
    at.run(timeout=60)
    assert not at.exception, at.exception
    return at


def open_runs(query: dict) -> AppTest:
    """The page reached from the home page, as the other pages' tests do."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update(query)
    at.run()
    return _run(at.switch_page(PAGE))


def headers(frame) -> dict[str, str]:
    """column -> the header a table shows (its column_config label, else the column's own name)."""
    config = json.loads(frame.proto.columns or "{}")
    return {name: config.get(name, {}).get("label", name) for name in frame.value.columns}


def test_an_empty_workspace_in_chinese():
    at = open_runs({"lang": "zh", "ws": new_workspace_id()})
    assert at.title[0].value == "训练记录"
    assert at.info[0].value.startswith("这个工作区还没有训练记录")
    assert [link.proto.label for link in at.get("page_link")][-2:] == ["训练一个手写数字模型",
                                                                       "或者拟合一个 scikit-learn 基线模型"]
    assert [e.label for e in at.expander] == ["导入模型文件（.pt）", "PyTorch 代码"]
    assert untranslated(at, NAMES) == []


def test_the_runs_in_chinese_then_in_english_with_the_same_settings(store):
    ws = new_workspace_id()
    wide = seed_run(store, ws, "wide net")
    toy = seed_run(store, ws, "toy 4-3-1", kind="toy", checkpoint=False)
    at = open_runs({"lang": "zh", "ws": ws})
    assert at.title[0].value == "训练记录" and untranslated(at, NAMES) == []
    frame = at.dataframe[0]
    assert list(frame.value.columns) == list(views.COLUMNS)  # the data keep their names; the headers are Chinese
    shown = headers(frame)
    assert (shown["name"], shown["page"], shown["status"], shown["accuracy"], shown["duration"]) == (
        "名称", "页面", "状态", "验证集准确率", "时长")
    row = frame.value.set_index("name").loc["wide net"]
    assert (row["page"], row["status"]) == ("手写数字：训练", "已完成") and row["duration"].endswith("秒")
    assert store.get(ws, wide).status == "done" and store.get(ws, toy).kind == "toy"  # stored as they were

    assert at.selectbox(key="runs_kind").label == "页面"
    assert at.selectbox(key="runs_kind").options[:2] == ["全部页面", "手写数字：训练"]
    at.selectbox(key="runs_kind").set_value("Toy networks")
    _run(at)
    assert list(at.dataframe[0].value["name"]) == ["toy 4-3-1"]
    assert at.query_params["runs_kind"] == "Toy networks"  # the address keeps the page's English name
    at.selectbox(key="runs_kind").set_value("All pages")
    _run(at)
    at.multiselect(key="runs_compare").set_value([wide, toy])
    at.selectbox(key="runs_selected").set_value(toy)
    _run(at)
    (chart,) = at.get("plotly_chart")
    layout = json.loads(chart.proto.spec)["layout"]
    assert layout["title"]["text"] == "训练记录对比" and layout["xaxis"]["title"]["text"] == "步数"
    assert {t["name"] for t in json.loads(chart.proto.spec)["data"]} == {"wide net", "toy 4-3-1"}
    assert at.caption[-1].value.startswith("玩具网络 · 已完成")
    labels = {b.proto.label: b.proto for b in at.get("download_button")}
    assert set(labels) == {"训练记录（JSON）", "指标（CSV）", "模型（.pt）"}
    assert labels["模型（.pt）"].disabled and labels["模型（.pt）"].help == "还没有检查点：每一轮结束时会写入一个。"
    assert at.button(key="runs_probe").label == "在探查页中打开"
    assert untranslated(at, NAMES) == []

    at.text_input(key=f"runs_name_{toy}").set_value("   ")
    at.button(key="runs_rename").click()
    _run(at)
    assert at.error[0].value == "训练记录需要一个名称：请至少输入一个字符。"  # the store's message, translated
    at.text_input(key=f"runs_name_{toy}").set_value("小网络")
    at.button(key="runs_rename").click()
    _run(at)
    assert at.success[0].value == "已重命名为 `小网络`。" and store.get(ws, toy).name == "小网络"
    at.button(key="runs_delete").click()
    _run(at)
    assert at.warning[0].value == "要永久删除 `小网络` 及其曲线和检查点吗？"
    assert (at.button(key="runs_delete_yes").label, at.button(key="runs_delete_no").label) == ("是的，删除", "保留")
    assert untranslated(at, NAMES) == []
    at.button(key="runs_delete_no").click()
    _run(at)

    # AppTest runs pages/runs.py on its own (its url_path is its file's name, so AppTest takes it for a pages/
    # script), without app.py's sidebar: the switch is played by its session key, which is what it writes.
    at.session_state["lang"] = "en"
    _run(at)
    assert at.title[0].value == "Runs"
    row = at.dataframe[0].value.set_index("name").loc["wide net"]
    assert (row["page"], row["status"]) == ("Digits: train", "done")
    assert at.multiselect(key="runs_compare").value == [wide, toy] and at.selectbox(key="runs_selected").value == toy
    assert at.selectbox(key="runs_kind").value == "All pages"


def test_importing_in_chinese(store):
    ws = new_workspace_id()
    at = open_runs({"lang": "zh", "ws": ws})
    at.button(key="runs_import").click()
    _run(at)
    assert at.warning[0].value == "请先选择一个 .pt 文件。"
    at.get("file_uploader")[0].set_value(("notes.pt", b"not a model at all", "application/octet-stream"))
    at.button(key="runs_import").click()
    _run(at)
    assert at.error[0].value.endswith(" 没有向你的训练记录添加任何内容。") and not store.list_runs(ws)
    torch.manual_seed(0)
    config = MLPConfig(hidden=4)
    model = TrainedModel(model=build_mlp(config), config=config, hyperparameters={"hidden": 4}, metrics={},
                         source="bundled", name="laptop")
    at.get("file_uploader")[0].set_value(("m.pt", save_checkpoint(model), "application/x"))
    at.button(key="runs_import").click()
    _run(at)
    assert at.success[0].value.startswith("已导入 ") and len(store.list_runs(ws)) == 1
    assert np.isfinite(len(at.dataframe[0].value)) and untranslated(at, NAMES) == []


@pytest.mark.browser
def test_runs_in_chinese_in_the_browser(page, app_url, store):
    from conftest import expect_no_exception, open_page, screenshot, wait_idle
    from playwright.sync_api import expect

    ws = new_workspace_id()
    seed_run(store, ws, "wide net")
    seed_run(store, ws, "narrow net", losses=(2.3, 1.8, 1.5, 1.3))
    open_page(page, app_url, f"runs?lang=zh&ws={ws}", timeout=120)
    expect(page.get_by_role("heading", name="训练记录").first).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("stDataFrame")).to_be_visible(timeout=60_000)
    expect_no_exception(page)
    picker = page.get_by_test_id("stMultiSelect").filter(has_text="叠加显示这些训练记录的曲线")
    for name in ("wide net", "narrow net"):
        picker.locator("input").click()
        page.get_by_role("option", name=name, exact=True).click()
        wait_idle(page)
    page.keyboard.press("Escape")
    page.mouse.click(1380, 60)  # close the picker's list: a click on the empty margin
    chart = page.get_by_test_id("stPlotlyChart")
    expect(chart).to_be_visible(timeout=30_000)
    expect(chart.get_by_text("训练记录对比")).to_be_visible()
    expect_no_exception(page)
    screenshot(page, "zh-runs-overlay")
    page.set_viewport_size({"width": 1400, "height": 1900})  # the app scrolls inside: show all of it
    expect(page.get_by_role("button", name="在探查页中打开")).to_be_enabled()
    screenshot(page, "zh-runs-actions")
