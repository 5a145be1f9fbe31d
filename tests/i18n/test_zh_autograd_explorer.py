"""The autograd explorer in Chinese: every text it shows, the package's words it translates (preset notes,
the legend, the backward steps), and settings kept across a change of language."""

from __future__ import annotations

import pytest
from conftest import open_in_app
from test_zh_tensor_playground import through_home
from visible import untranslated, words_left

from pytorch_explorer.autograd.figures import LEGEND, step_text
from pytorch_explorer.autograd.presets import PRESET_EDITED, PRESETS, explore, trace_branch
from pytorch_explorer.i18n import catalogue, missing

PAGE = "pages/autograd_explorer.py"


def test_the_page_opens_in_chinese_with_nothing_left_in_english():
    at = open_in_app(PAGE, {"lang": "zh"})
    assert at.title[0].value == "自动求导探索器"
    assert at.button(key="ag_backward").label == "运行反向传播"
    assert any(c.value.startswith("最小的计算图") for c in at.caption)  # the preset's notes
    assert untranslated(at) == []


def test_backward_step_by_step_the_check_and_the_dynamic_graph_in_chinese():
    at = open_in_app(PAGE, {"lang": "zh"})
    at.selectbox(key="ag_preset").set_value("reuse").run()
    assert at.caption[0].value.startswith("x 被使用了三次")  # the preset's notes; its title is in the select
    assert at.selectbox(key="ag_preset").format_func("reuse") == "一个值被多次使用：x*x + x"
    assert at.query_params["ag_preset"] == "reuse"  # the address keeps the preset, not its title
    at.button(key="ag_backward").click().run()
    at.radio(key="ag_view").set_value("backward step by step").run()
    assert at.radio(key="ag_view").options == ["全部梯度", "逐步反向传播"]
    assert at.info[0].value.startswith("**第 1 步（共 ")
    at.slider(key="ag_step").set_value(3).run()
    assert "被使用了 3 次，所以有 3 个梯度到达这里并**相加**" in at.info[0].value
    at.button(key="ag_check").click().run()
    at.button(key="ag_again").click().run()
    assert not at.exception
    columns = [list(d.value.columns) for d in at.dataframe]
    assert ["输入", "自动求导", "有限差分", "最大 |差值|", "是否一致"] in columns
    assert ["输入", "第一次 backward() 之后的 grad", "现在的 .grad（2 次 backward() 之后）", "比值"] in columns
    at.radio(key="ag_dyn_kind").set_value("a branch").run()
    assert any(m.value == "x.sum() = 1.5，所以这次运行记录的是 **(x * w).sum()**。" for m in at.markdown)
    assert untranslated(at) == []
    at.text_input(key="ag_expr").set_value("x * x * x").run()  # edited: the preset's notes no longer apply
    assert at.caption[0].value == catalogue("zh")[PRESET_EDITED] and untranslated(at) == []


def test_switching_the_language_keeps_the_page_as_it_was():
    at = through_home(PAGE)
    at.selectbox(key="ag_preset").set_value("neuron").run()
    at.text_input(key="ag_expr").set_value("torch.sigmoid(w @ x) * 2").run()
    at.button(key="ag_backward").click().run()
    at.radio(key="ag_view").set_value("backward step by step").run()
    at.radio(key="ag_dyn_kind").set_value("a branch").run()
    at.segmented_control(key="lang").set_value("en").run()
    assert not at.exception and at.title[0].value == "Autograd explorer"
    assert at.selectbox(key="ag_preset").value == "neuron"
    assert at.text_input(key="ag_expr").value == "torch.sigmoid(w @ x) * 2"
    assert at.radio(key="ag_view").value == "backward step by step" and at.info[0].value.startswith("**Step 1 of")
    assert at.radio(key="ag_dyn_kind").value == "a branch"
    at.segmented_control(key="lang").set_value("zh").run()
    assert at.title[0].value == "自动求导探索器" and at.text_input(key="ag_expr").value == "torch.sigmoid(w @ x) * 2"


# ---------------------------------------------------------------- the package's words
FORMULAS = {"y = w*x + b"}  # a preset title that is a formula only: the same in any language, no entry


def test_every_preset_note_the_legend_and_the_table_words_have_a_chinese_entry():
    titles = [p.title for p in PRESETS.values() if p.title not in FORMULAS]
    assert all(words_left(title) for title in titles) and not set(catalogue("zh")) & FORMULAS
    texts = titles + [p.about for p in PRESETS.values()] + [PRESET_EDITED, LEGEND]
    texts += ["every gradient", "backward step by step", "input", "autograd", "finite differences", "max |difference|",
              "agree", "yes", "NO", "can't tell (inf/nan)", "None (not used)", "grad after the first backward()", "ratio"]
    assert missing(texts, "zh") == []


@pytest.mark.parametrize("key", ["reuse", "toy", "detach"])
def test_the_backward_steps_say_in_english_what_the_package_says(key):
    """The page writes figures.step_text again, translatable: in English, word for word the same."""
    at = open_in_app(PAGE)
    at.selectbox(key="ag_preset").set_value(key).run()
    at.button(key="ag_backward").click().run()
    at.radio(key="ag_view").set_value("backward step by step").run()
    graph, _ = explore(PRESETS[key].expression, PRESETS[key].inputs, passes=1)
    for step in range(len(graph.steps)):
        at.slider(key="ag_step").set_value(step + 1).run()
        assert at.info[0].value == step_text(graph, step)


@pytest.mark.parametrize("x0", [1.0, -1.5])
def test_the_branch_note_says_in_english_what_the_package_says(x0):
    from pytorch_explorer.autograd.presets import branch_text

    at = open_in_app(PAGE, {"ag_dyn_kind": "a branch", "ag_branch_x": str(x0)})
    assert trace_branch(x0) is not None and branch_text(x0) in [m.value for m in at.markdown]


@pytest.mark.browser
def test_the_page_in_chinese_in_a_browser(page, app_url):
    from conftest import expect_no_exception, open_page, screenshot

    open_page(page, app_url, "autograd?lang=zh", timeout=120)
    expect_no_exception(page)
    assert page.get_by_text("自动求导探索器").first.is_visible()
    screenshot(page, "zh_autograd_explorer")
