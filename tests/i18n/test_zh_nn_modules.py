"""The nn modules page in Chinese: every text it shows, the package's words it translates (layer notes, presets,
table columns, what train() and eval() did), and settings kept across a change of language."""

from __future__ import annotations

import pytest
from conftest import open_in_app
from test_zh_tensor_playground import through_home
from visible import untranslated

import ui.i18n
from pytorch_explorer.i18n import catalogue, missing
from pytorch_explorer.modules.custom import twin_check
from pytorch_explorer.modules.layers import CATALOGUE, COLUMN_HELP, PRESETS, parameter_formula, parse_spec
from pytorch_explorer.modules.modes import compare_modes
from pytorch_explorer.modules.report import inspect_model, layer_rows
from pytorch_explorer.modules.shapes import ArchitectureError, trace_shapes
from ui import nn_modules as view

PAGE = "pages/nn_modules.py"
# The forward pass's modes are named as PyTorch names them (model.train(), model.eval(), says their help).
CODE_VALUES = {"train", "eval"}
MISTAKE = "A mistake: Linear after Conv2d"


def test_the_page_opens_in_chinese_with_nothing_left_in_english():
    at = open_in_app(PAGE, {"lang": "zh"})
    assert at.title[0].value == "nn 模块"
    assert [t.label for t in at.tabs] == ["参数与 state_dict", "逐层的形状", "train() 与 eval()", "自己写 nn.Module"]
    assert at.caption[0].value.startswith("原文的手写数字分类器")  # the preset's notes; its title is in the select
    assert at.selectbox(key="nn_preset").format_func(at.selectbox(key="nn_preset").value) == "原文的 MLP"
    assert at.metric[0].label == "参数总量" and at.metric[0].value == "397,510"
    columns = [list(d.value.columns) for d in at.dataframe]
    assert ["#", "层", "参数量", "手工计算"] in columns
    counted = next(d.value for d in at.dataframe if "手工计算" in d.value.columns)
    assert counted["手工计算"][0] == "784 × 500 个权重 + 500 个偏置 = 392,500"
    assert untranslated(at, CODE_VALUES) == []


def test_dropout_batchnorm_and_a_mistake_in_chinese():
    at = open_in_app(PAGE, {"lang": "zh", "nn_preset": "MLP with BatchNorm and Dropout"})
    assert not at.error
    text = " ".join(m.value for m in at.markdown)
    assert "在 **train()** 模式下，它把" in text and "num_batches_tracked 变化为 0 → 1" in text
    state = next(d.value for d in at.dataframe if "类别" in d.value.columns).set_index("键")
    assert state.loc["1.running_mean", "类别"] == "缓冲区" and state.loc["1.weight", "类别"] == "参数"
    facts = [d.value for d in at.dataframe if "测量项" in d.value.columns]
    assert len(facts) == 2 and "保留值 ÷ 输入（train）" in list(facts[1]["测量项"])
    assert untranslated(at, CODE_VALUES) == []
    at = open_in_app(PAGE, {"lang": "zh", "nn_preset": MISTAKE})
    # The message of a model whose layers do not fit comes from the package (shapes.py, a template and its values):
    # it names the layer and the numbers, in Chinese like everything around it (its fix button included).
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("第 2 层（Linear(784, 10)）收到形状为 (4, 6, 24, 24) 的输入")
    assert at.button(key="nn_fix").label.startswith("修正：")
    assert untranslated(at, CODE_VALUES) == []
    at.button(key="nn_fix").click().run()
    assert not at.exception and not at.error and untranslated(at, CODE_VALUES) == []


def test_switching_the_language_keeps_the_page_as_it_was():
    at = through_home(PAGE)
    at.selectbox(key="nn_preset").set_value("A small CNN").run()
    at.radio(key="nn_mode").set_value("eval").run()
    at.slider(key="nn_toy_hidden").set_value(5).run()
    arch = at.query_params["nn_arch"]
    at.segmented_control(key="lang").set_value("en").run()
    assert not at.exception and at.title[0].value == "nn modules"
    assert at.selectbox(key="nn_preset").value == "A small CNN" and at.radio(key="nn_mode").value == "eval"
    assert at.slider(key="nn_toy_hidden").value == 5 and at.query_params["nn_arch"] == arch
    assert at.text_input(key="nn_input").value == "4, 1, 28, 28"
    at.segmented_control(key="lang").set_value("zh").run()
    assert at.title[0].value == "nn 模块" and at.radio(key="nn_mode").value == "eval"


# ---------------------------------------------------------------- the package's words
BOTH = parse_spec("Conv2d(1,4,3);BatchNorm2d(4);ReLU();MaxPool2d(2);Flatten();Linear(676,8);BatchNorm1d(8);"
                  "Dropout(0.5);Tanh();Sigmoid();GELU();Linear(8,2)")


def test_every_word_the_page_takes_from_the_package_has_a_chinese_entry():
    report = inspect_model(BOTH, (4, 1, 28, 28))
    modes = compare_modes(BOTH, (4, 1, 28, 28))
    words = [k.what for k in CATALOGUE.values()] + list(COLUMN_HELP.values())
    words += [text for p in PRESETS.values() for text in (p.title, p.what)]
    rows = report.parameters + report.state + report.shapes + layer_rows(BOTH) + twin_check().parameter_rows()
    with pytest.raises(ArchitectureError) as refused:
        trace_shapes(parse_spec(PRESETS[MISTAKE].spec), (4, 1, 28, 28))
    rows += [s.row() for s in refused.value.traced]
    words += sorted({key for row in rows for key in row} - {"#", "dtype", "requires_grad"})
    words += sorted({row["kind"] for row in report.state})
    words += [key for layer in modes.layers for key in layer.facts if key not in ("p", "1/(1-p)")]
    assert len(modes.layers) == 3 and {"buffer", "parameter", "counted by hand", "same values"} <= set(words)
    assert missing(words, "zh") == []


@pytest.fixture
def english(monkeypatch):
    monkeypatch.setattr(ui.i18n, "lang", lambda: "en")


def test_the_hand_counts_say_in_english_what_the_package_says(english):
    for spec in BOTH:
        assert view.formula_text(spec) == parameter_formula(spec)[0], spec


@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_what_train_and_eval_did_says_in_english_what_the_package_says(english, p):
    modes = compare_modes(parse_spec(f"Linear(10,6);BatchNorm1d(6);Dropout({p});Linear(6,2)"), (8, 10))
    assert len(modes.layers) == 2
    for layer in modes.layers:
        assert view.behaviour_text(layer) == (layer.train_text, layer.eval_text), layer.call


def test_and_in_chinese(monkeypatch):
    monkeypatch.setattr(ui.i18n, "lang", lambda: "zh")
    layer = compare_modes(parse_spec("Linear(4,4);Dropout(0.5)"), (8, 4)).layers[0]
    in_train, in_eval = view.behaviour_text(layer)
    assert in_train.startswith("把 ") and "推理时不会丢弃任何元素" in in_eval
    assert view.formula_text(BOTH[0]) == "4 个卷积核 × 1 个通道 × 3 × 3 + 4 个偏置 = 40"
    assert catalogue("zh")["nn modules"] == "nn 模块"


@pytest.mark.browser
def test_the_page_in_chinese_in_a_browser(page, app_url):
    from conftest import expect_no_exception, open_page, screenshot

    open_page(page, app_url, "nn?lang=zh", timeout=120)
    expect_no_exception(page)
    assert page.get_by_text("nn 模块").first.is_visible()
    screenshot(page, "zh_nn_modules")
