"""Digits: probe in Chinese (?lang=zh): every text it shows (the model, the digit, the seven tabs, my digits), the
package's words it translates (figures, notes, the layer titles, the import's summary, what preprocessing did),
and settings kept across a change of language."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest
import torch
from conftest import ROOT
from PIL import Image, ImageDraw
from streamlit.testing.v1 import AppTest
from visible import translate_literals, untranslated

from pytorch_explorer.core.errors import Term
from pytorch_explorer.digits import mine
from pytorch_explorer.digits.data import load_bundled
from pytorch_explorer.digits.preprocess import CLUTTER_NOTES, LIMIT_NOTE, ImageError, limit_note, preprocess_digit
from pytorch_explorer.digits.probe import conv, describe, figures
from pytorch_explorer.digits.shelf import StoreShelf
from pytorch_explorer.digits.training import TrainConfig, train_to_completion
from pytorch_explorer.i18n import catalogue, missing, placeholders, translate
from pytorch_explorer.runs import new_workspace_id
from ui.workspace import run_store

PAGE = "pages/digits_probe.py"
CJK = re.compile(r"[\u4e00-\u9fff]")
TABS = ["Why: saliency", "Why: hidden units", "Why: feature maps", "Why: weights", "Validation analysis",
        "Compare models", "My digits"]
ZH_TABS = ["原因：显著图", "原因：隐藏单元", "原因：特征图", "原因：权重", "验证集分析", "对比模型", "我的数字"]
PICK = "Pick from the validation set"
# the models' names in the selects of models: data, as their owner gave them (a fine-tuned copy's is made from it)
NAMES = {"tiny", "tiny + my digits"}


@pytest.fixture(scope="module")
def tiny():
    trained = train_to_completion(TrainConfig(epochs=1, hidden=32, device="cpu"))
    trained.name = "tiny"
    return trained


def open_probe(lang: str, *models, home_first: bool = False) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update({"ws": new_workspace_id(), "lang": lang})
    if home_first:
        at.run()
    at.switch_page(PAGE)
    at.run()
    if models:
        shelf = StoreShelf(run_store(), at.session_state["workspace"])
        for m in models:
            shelf.add(m, "a test")
        shelf.choose(models[0].name)
        at.session_state["model_shelf"] = shelf
        at.run()
    assert not at.exception, at.exception
    return at


def open_tab(at: AppTest, label: str) -> AppTest:
    """Tabs rerun on change and only the open one runs: the tab is chosen by its key (an English label is said
    in the session's language by the page)."""
    at.session_state["probe_tab"] = label
    at.run()
    assert not at.exception, at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def drawn_seven() -> dict:
    """What the canvas component sends after a stroke: its drawing as a PNG data URL (white on transparent)."""
    image = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(70, 60), (205, 60), (125, 240)], fill=(255, 255, 255, 255), width=20)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    return {"drawing": {"raw": {"objects": [], "background": "#000000"}, "data": url}, "backgroundFit": None}


def captions(at: AppTest) -> list[str]:
    return [img.caption for image in at.get("image") for img in image.proto.imgs]


# ----------------------------------------------------------------------------- the page
def test_without_a_model_the_page_speaks_chinese():
    at = open_probe("zh")
    assert at.title[0].value == "手写数字：探查"
    assert at.info[0].value.startswith("这个工作区里还没有手写数字模型")
    assert at.button(key="probe_train_now").label == "现在用内置的手写数字训练一个模型"
    assert at.get("page_link")[0].proto.label == "到训练页面按你的方式训练一个"
    assert at.expander[-1].label == "PyTorch 代码"
    assert untranslated(at) == []


def test_a_drawing_a_validation_digit_and_every_tab_in_chinese(tiny):
    at = open_probe("zh", tiny)
    assert "在 `bundled` 上训练" in at.caption[0].value  # the model's one line, from the package
    source = at.radio(key="probe_source")  # the URL holds the option itself, the radio shows it in Chinese
    assert source.options == ["手写", "上传", "从验证集中挑选"] and source.value == "Draw"
    at.session_state["probe_canvas_0"] = drawn_seven()
    at.run()
    assert not at.exception and set(metrics(at)) == {"预测", "置信度"}
    assert [c.split(". ", 1)[1] for c in captions(at) if c[:2] in {"1.", "2.", "3.", "4.", "5."}] == [
        "灰度", "黑底白字", "裁剪到笔迹", "缩放到 20 像素", "按质心居中（28x28）"]
    assert any(m.value.startswith("- 笔迹本来就比背景亮") for m in at.markdown)  # what each step decided
    assert [t.label for t in at.tabs] == ZH_TABS
    assert untranslated(at, NAMES) == []

    at.radio(key="probe_source").set_value(PICK).run()
    verdict = (at.success or at.error)[0].value
    assert verdict.startswith("判对了：标签是") or verdict.startswith("判错了：标签是")
    assert any(c.startswith("验证集数字 #0（第 ") for c in captions(at))
    assert untranslated(at, NAMES) == []
    for label in TABS[1:]:
        open_tab(at, label)
        assert untranslated(at, NAMES) == [], label
    open_tab(at, "Validation analysis")
    assert {"验证集准确率", "验证集数字数量", "错误数"} <= set(metrics(at))
    assert any("被模型判为" in m.value for m in at.markdown)
    open_tab(at, "原因：权重")  # a Chinese label works as well
    at.radio(key="probe_weights_order").set_value("strongest for this digit").run()
    assert any(m.value.startswith("第一层 32 个单元中对这个数字最活跃的") for m in at.markdown)
    assert not at.exception and untranslated(at, NAMES) == []


def test_my_digits_fine_tuning_and_import_in_chinese(tiny, tmp_path):
    at = open_probe("zh", tiny)
    at.session_state["probe_canvas_0"] = drawn_seven()
    at.run()
    at.button(key="probe_mine_add").click().run()
    assert at.warning[0].value == "请先选择它的标签：也就是你想写的那个数字。"
    at.session_state["probe_mine_label"] = 7
    at.button(key="probe_mine_add").click().run()
    assert at.success[0].value.startswith("已作为 7 保存：我的数字中现有 1 个（最多 2,000 个数字）。")
    assert untranslated(at, NAMES) == []

    store = mine.MyDigits.for_workspace(run_store().root, at.session_state["workspace"])
    data = load_bundled()
    store.add_many(data.images[:20], data.labels[:20])
    open_tab(at, "My digits")
    assert metrics(at)["我的数字"] == "21" and "tiny 判对的比例" in metrics(at)
    assert untranslated(at, NAMES) == []
    at.slider(key="probe_ft_epochs").set_value(1)
    at.radio(key="probe_ft_mode").set_value("mine")
    at.button(key="probe_ft_start").click().run()
    assert not at.exception and at.selectbox(key="probe_model_name").value == "tiny + my digits"
    assert {"在我的数字上", "在验证集数字上"} <= set(metrics(at))
    assert any(m.value.startswith("**上次微调**：`tiny` -> `tiny + my digits`（只用我的数字，1 轮）") for m in at.markdown)
    assert any(n.value.startswith("在我的 21 个数字上：") for n in [*at.info, *at.warning])
    assert untranslated(at, NAMES) == []

    other = mine.MyDigits(tmp_path / "other")
    other.add_many(data.images[30:33], data.labels[30:33])
    at.file_uploader(key="probe_mine_import_0").set_value(("mine.zip", mine.export_zip(other), "application/zip"))
    at.run()
    assert not at.exception and at.success[0].value == "已添加 3 个数字。"
    assert untranslated(at, NAMES) == []


def test_switching_the_language_keeps_the_pages_settings(tiny):
    at = open_probe("zh", tiny, home_first=True)
    at.radio(key="probe_source").set_value(PICK).run()
    at.selectbox(key="probe_saliency_class").set_value(3).run()
    assert any("模型对 **3** 的得分" in m.value for m in at.markdown)
    open_tab(at, "Validation analysis")
    at.selectbox(key="probe_cm_true").set_value(4)
    at.selectbox(key="probe_cm_pred").set_value(9).run()
    at.segmented_control(key="lang").set_value("en").run()
    assert not at.exception and at.title[0].value == "Digits: probe"
    assert at.radio(key="probe_source").value == PICK
    assert [t.label for t in at.tabs] == TABS and at.session_state["probe_tab"] == "Validation analysis"
    assert "Validation accuracy" in metrics(at)  # the open tab stayed open
    assert at.selectbox(key="probe_cm_true").value == 4 and at.selectbox(key="probe_cm_pred").value == 9
    assert any("labelled 4 that the model called 9" in m.value for m in at.markdown)
    at.segmented_control(key="lang").set_value("zh").run()
    assert at.title[0].value == "手写数字：探查" and at.session_state["probe_tab"] == "验证集分析"
    assert "验证集准确率" in metrics(at) and at.selectbox(key="probe_cm_true").value == 4
    open_tab(at, "Why: saliency")  # the saliency tab's class, kept while its tab was closed
    assert at.selectbox(key="probe_saliency_class").value == 3 and any("模型对 **3** 的得分" in m.value for m in at.markdown)


# ----------------------------------------------------------------------------- the package's words
def package_templates() -> list[str]:
    """Every English text digits.probe, digits.mine and digits.preprocess pass to translate(...): all they can show a
    learner (BASE_NOTE, a figure's trace names and the clutter notes are listed by the tests below)."""
    return translate_literals("digits", "digits/probe", "digits/mine",
                              allowed=frozenset({"BASE_NOTE", "name", "CLUTTER_NOTES[kind][n > 1]"}))


def test_every_template_the_package_and_the_page_translate_has_a_chinese_entry():
    templates = package_templates()
    assert len(templates) >= 40 and "greyscale" in templates
    clutter = [note for notes in CLUTTER_NOTES.values() for note in notes]
    texts = templates + clutter + ["the drawing", "the image"] + list(mine.MODE_WORDS.values()) + [
        mine.BASE_NOTE, "my digits", "validation digits", "Draw", "Upload", PICK, "unit number",
        "strongest for this digit", "a random {d}", "the top guess", "digit {c}", "layer {n}", "all my digits", "my {d}s",
        *TABS]  # the templates, and the options of the page's choice controls
    assert missing(texts, "zh") == []
    table = catalogue("zh")
    for text in texts:
        assert placeholders(table[text]) == placeholders(text), text
        assert CJK.search(table[text]), text


def test_the_figures_speak_chinese():
    p = np.linspace(0.01, 0.2, 10)
    confusion = np.eye(10, dtype=int) * 5 + 1
    shown = [figures.probability_bars(p, 3, lang="zh"), figures.activations_figure(p, [1, 2], lang="zh"),
             figures.confusion_figure(confusion, (1, 2), lang="zh"),
             figures.per_class_accuracy_figure(np.full(10, 0.9), 0.9, lang="zh"),
             figures.compare_figure({"a": p, "b": p}, lang="zh")]
    for fig in shown:
        assert CJK.search(fig.layout.xaxis.title.text)
    assert shown[2].layout.yaxis.title.text == "真实数字"
    assert shown[0].data[0].hovertemplate == "数字 %{x}：%{y:.2%}<extra></extra>"
    saliency = figures.saliency_figure(np.zeros((28, 28)), np.ones((28, 28)), np.ones((28, 28)), 7, lang="zh")
    assert [a.text for a in saliency.layout.annotations] == ["输入（28x28）", "logit 7 的梯度", "输入 x 梯度"]
    tuned = figures.fine_tune_figure([{"epoch": 0, "mine_acc": 0.5, "val_acc": 0.9}], lang="zh")
    assert [t.name for t in tuned.data] == ["我的数字", "验证集数字"]
    maps = figures.feature_maps_figure(np.ones((2, 5, 5)), lang="zh")
    assert [a.text for a in maps.layout.annotations] == ["通道 0", "通道 1"]
    # in English, word for word what it was
    assert figures.confusion_figure(confusion).layout.xaxis.title.text == "predicted"
    assert figures.probability_bars(p).data[0].hovertemplate == "digit %{x}: %{y:.2%}<extra></extra>"


def test_the_models_line_the_layer_titles_and_the_notes_in_chinese(tiny):
    assert describe(tiny, "zh").startswith("`tiny`：784 -> 32 (relu) -> 10，在 `bundled` 上训练，验证集准确率 **")
    assert describe(tiny) == describe(tiny, "en") and ", trained on `bundled`, validation accuracy **" in describe(tiny)
    model = torch.nn.Sequential(torch.nn.Unflatten(1, (1, 28, 28)), torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(),
                                torch.nn.Flatten(), torch.nn.Linear(4 * 26 * 26, 10))
    (maps,) = conv.feature_maps(model, np.zeros((28, 28), np.uint8))
    assert maps.title == "conv layer 1: 1 -> 4 channels, 3x3 kernels, maps of 26x26"
    assert maps.title_in("zh") == "第 1 个卷积层：1 -> 4 个通道，3x3 卷积核，特征图 26x26"
    report = mine.ImportReport(added=2, duplicates=1, problems=["x"])
    assert report.summary == "Added 2 digits; 1 already in my digits were left out; 1 skipped (listed below)."
    assert report.summary_in("zh") == "已添加 2 个数字；1 个已在我的数字中，未重复添加；跳过 1 个（见下方列表）。"
    assert mine.cap_note() == mine.CAP_NOTE and mine.cap_note("zh") == "最多 2,000 个数字"


def test_the_forgetting_note_in_both_languages(tiny):
    settings = mine.FineTuneSettings(epochs=1, mode="mine")
    result = mine.FineTuneResult(tiny, settings, 0.5, 1.0, 0.9, 0.6, mine_count=4, base_per_epoch=0)
    assert result.forgot
    english = mine.forgetting_note(result)
    assert english.startswith("On my 4 digits: 50% -> 100%") and "**Catastrophic forgetting**" in english
    chinese = mine.forgetting_note(result, "zh")
    assert chinese.startswith("在我的 4 个数字上：50% -> 100%") and "**灾难性遗忘**" in chinese


# ----------------------------------------------------------------------------- what preprocessing did
def photo_with_clutter() -> Image.Image:
    """Dark ink on light paper, a shadow strip along the edge and specks: inverted, cleaned, thickened."""
    image = Image.new("L", (600, 600), 235)
    draw = ImageDraw.Draw(image)
    draw.line([(200, 150), (400, 150), (260, 480)], fill=30, width=6)  # a thin 7
    draw.rectangle((0, 0, 600, 25), fill=60)  # the edge of a table
    for x, y in ((80, 500), (520, 520), (60, 300)):
        draw.ellipse((x, y, x + 5, y + 5), fill=20)
    return image


@pytest.mark.parametrize("picture", ["drawing", "photo"])
def test_every_note_and_stage_preprocessing_writes_is_said_in_chinese(picture):
    """preprocess_digit writes its stages' names and its notes in the language asked for: English by default, and in
    Chinese every one of them (the same decisions, the same input)."""
    if picture == "drawing":
        image, name = np.asarray(Image.open(io.BytesIO(base64.b64decode(
            drawn_seven()["drawing"]["data"].split(",")[1])))), Term("the drawing")
    else:
        image, name = photo_with_clutter(), "photo.png"
    english, chinese = preprocess_digit(image, name=name, lang="en"), preprocess_digit(image, name=name, lang="zh")
    assert preprocess_digit(image, name=name).notes == english.notes and len(english.notes) >= 3
    assert np.array_equal(english.final, chinese.final) and len(chinese.notes) == len(english.notes)
    if picture == "photo":
        assert english.clutter_removed and any(note.startswith("Ignored ") for note in english.notes)
    assert [stage for stage, _ in english.stages][0] == "greyscale" and LIMIT_NOTE == limit_note("en")
    shown = zip([stage for stage, _ in english.stages] + english.notes + [LIMIT_NOTE],
                [stage for stage, _ in chinese.stages] + chinese.notes + [limit_note("zh")], strict=True)
    for text, said in shown:
        assert said != text and CJK.search(said), text


@pytest.mark.parametrize("data, name", [(b"definitely not a picture", "notes.png"),
                                        (np.full((50, 50), 255, np.uint8), "blank.png")])
def test_a_refused_picture_is_explained_in_chinese(data, name):
    with pytest.raises(ImageError) as caught:
        preprocess_digit(data, name=name)
    assert name in str(caught.value) and caught.value.message("en") == str(caught.value)
    chinese = caught.value.message("zh")
    assert name in chinese and CJK.search(chinese) and chinese != str(caught.value)


def test_a_refused_drawing_is_named_in_chinese():
    with pytest.raises(ImageError) as caught:
        preprocess_digit(np.zeros((280, 280, 4), np.uint8), name=Term("the drawing"))
    assert str(caught.value).startswith("There is no digit in the drawing: it is one flat tone")
    assert caught.value.message("zh").startswith(translate("the drawing", "zh") + "中没有数字")


# ----------------------------------------------------------------------------- in a browser
@pytest.mark.browser
def test_the_probe_in_chinese_in_the_browser(page, app_url):
    from conftest import expect_no_exception, open_page, screenshot, wait_idle

    open_page(page, app_url)
    open_page(page, app_url, "digits-probe?lang=zh", timeout=120)
    page.get_by_role("button", name="现在用内置的手写数字训练一个模型").click()
    page.get_by_text("模型的判断").wait_for(timeout=180_000)
    wait_idle(page, 120)
    page.get_by_text("从验证集中挑选").click()  # the option, shown in Chinese
    wait_idle(page, 60)
    page.locator('[data-testid="stMetric"]').filter(has_text="置信度").wait_for(timeout=60_000)
    expect_no_exception(page)
    assert page.get_by_role("tab", name="验证集分析").count() == 1
    page.set_viewport_size({"width": 1400, "height": 1900})
    screenshot(page, "zh-digits-probe")
