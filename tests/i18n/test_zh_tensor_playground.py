"""The tensor playground in Chinese: every text it shows, the package's words it translates, and settings kept
across a change of language."""

from __future__ import annotations

import pytest
import torch
from conftest import open_in_app
from hypothesis import given, settings
from hypothesis import strategies as st
from visible import from_home, untranslated

import ui.i18n
from pytorch_explorer.i18n import catalogue, missing, translate
from pytorch_explorer.tensors import info as ti
from pytorch_explorer.tensors.catalogue import CATALOGUE, GROUPS, OPS
from pytorch_explorer.tensors.figures import figure_label
from pytorch_explorer.tensors.numpy_twin import CLOSE, DIFFERS, EQUAL, NO_TWIN
from ui import tensor_playground as view

PAGE = "pages/tensor_playground.py"
# The delete button of a tensor's card is the symbol ✕ in any language (its tooltip says 删除 <name>).
ALLOWED = {"✕"}


def through_home(page_path: str, lang: str = "zh"):
    """The app opened at its home page, then this page through the sidebar (visible.from_home)."""
    at = from_home(page_path, {"lang": lang}, timeout=60).run()
    assert not at.exception, at.exception
    return at


def chinese(at) -> bool:
    return at.title[0].value == "张量游乐场"


def test_the_page_opens_in_chinese_with_nothing_left_in_english():
    at = open_in_app(PAGE, {"lang": "zh"})
    assert at.title[0].value == "张量游乐场"
    assert at.subheader[0].value == "你的张量"
    assert [t.label for t in at.tabs][:4] == ["运算目录", "表达式", "广播", "视图与副本"]
    assert any(c.value.startswith("形状 (2, 3) · float32 · cpu · 步长 (3, 1) · 连续") for c in at.caption)
    assert any("第 -1 维" in m.value for m in at.markdown)  # the broadcasting steps
    assert untranslated(at, ALLOWED) == []


def test_evaluating_applying_and_mistakes_in_chinese():
    at = open_in_app(PAGE, {"lang": "zh"})
    at.text_input(key="tp_expr").set_value("torch.ones(4, 5, 6) * a.sum()")
    at.button(key="tp_eval").click().run(timeout=60)
    assert not at.exception and chinese(at)
    assert "最近一次结果" in [s.value for s in at.subheader]
    assert any(s.value.startswith("**完全一致**") or s.value.startswith("**非常接近**") for s in at.success)
    assert any("一摞 5x6 的矩阵" in c.value for c in at.caption)  # a 3-D result is shown slice by slice
    assert untranslated(at, ALLOWED) == []
    at.text_input(key="tp_bc_b").set_value("4, 2").run()  # (2, 3) and (4, 2) do not broadcast
    assert any(e.value.startswith("(2, 3) 和 (4, 2) 无法广播") for e in at.error)
    at.text_input(key="tp_op_search").set_value("softmax").run()
    at.selectbox(key="tp_op").set_value("torch.softmax").run()
    assert any(c.value.endswith(translate(OPS["torch.softmax"].description, "zh")) for c in at.caption)
    at.button(key="tp_apply").click().run(timeout=60)
    assert not at.exception and at.session_state.tp_result["source"] == "torch.softmax(a, dim=1)"
    assert untranslated(at, ALLOWED) == []


def test_switching_the_language_keeps_the_page_as_it_was():
    at = through_home(PAGE)
    at.text_input(key="tp_expr").set_value("a * 2")
    at.text_input(key="tp_bc_a").set_value("5, 1, 3")
    at.selectbox(key="tp_view_expr").set_value("x.clone()")
    at.run()
    at.button(key="tp_eval").click().run(timeout=60)
    at.segmented_control(key="lang").set_value("en").run(timeout=60)
    assert not at.exception and at.title[0].value == "Tensor playground"
    assert at.text_input(key="tp_expr").value == "a * 2" and at.text_input(key="tp_bc_a").value == "5, 1, 3"
    assert at.selectbox(key="tp_view_expr").value == "x.clone()"
    assert at.session_state.tp_result["source"] == "a * 2" and set(at.session_state.tp_tensors) == {"a", "b"}
    at.segmented_control(key="lang").set_value("zh").run(timeout=60)
    assert at.title[0].value == "张量游乐场" and at.text_input(key="tp_expr").value == "a * 2"


# ---------------------------------------------------------------- the package's words
@pytest.fixture
def english(monkeypatch):
    monkeypatch.setattr(ui.i18n, "lang", lambda: "en")


def test_every_word_the_page_takes_from_the_package_has_a_chinese_entry():
    summaries = [ti.summary(t) for t in (torch.randn(3, 4, 5), torch.tensor([True, False]), torch.tensor([1.0, float("inf")]),
                                         torch.zeros(0))]
    words = {key for row in summaries for key in row} | set(GROUPS) | {EQUAL, CLOSE, DIFFERS, NO_TWIN}
    kinds = {p.kind.rstrip("?") for op in CATALOGUE for p in op.params
             if p.kind not in ("tensor", "tensor?", "tensors", "bool", "choice", "dtype", "dtype?")}
    assert kinds == set(view.PARAM_KINDS)  # what the text boxes of an operation's arguments take
    words |= kinds
    assert {"mean of finite", "reductions", "int", "shape"} <= words
    assert missing(sorted(words), "zh") == []


def test_every_operation_of_the_catalogue_has_a_chinese_description():
    descriptions = [op.description for op in CATALOGUE]
    assert len(descriptions) > 300 and missing(descriptions, "zh") == []
    assert view.op_label("torch.rsqrt", "zh") == "torch.rsqrt — 平方根的倒数 1/sqrt(x)。"
    assert view.op_label("torch.rsqrt") == "torch.rsqrt — Reciprocal square root 1/sqrt(x)."


TENSORS = [torch.randn(3), torch.randn(2, 3), torch.randn(300), torch.randn(500, 7), torch.randn(40, 50, dtype=torch.cfloat),
           torch.randn(5, dtype=torch.cfloat), torch.randn(300, dtype=torch.cfloat), torch.randn(401, 203),
           torch.randn(401, 203, dtype=torch.cfloat), torch.tensor(2.0), torch.arange(12).reshape(3, 4)]


def test_the_figure_titles_say_in_english_what_the_package_says(english):
    for t in TENSORS:
        assert view.figure_title(t) == figure_label(t), tuple(t.shape)


def test_the_figure_titles_in_chinese(monkeypatch):
    monkeypatch.setattr(ui.i18n, "lang", lambda: "zh")
    titles = [view.figure_title(t) for t in TENSORS if figure_label(t) is not None]
    assert len(titles) >= 8 and all(any("\u4e00" <= ch <= "\u9fff" for ch in title) for title in titles)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 4), max_size=4), st.lists(st.integers(1, 4), max_size=4))
def test_the_broadcasting_steps_say_in_english_what_the_package_says(a, b):
    plan = ti.broadcast(tuple(a), tuple(b))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ui.i18n, "lang", lambda: "en")
        assert view.broadcast_text(plan) == (plan.steps, plan.reason)
        assert view.broadcast_table(plan).equals(plan.table())


@pytest.mark.parametrize("expression", ["x.contiguous()", "x.t()", "x.clone()", "x[0]"])
def test_the_view_explanations_say_in_english_what_the_package_says(english, expression):
    report = ti.view_or_copy(torch.randn(2, 3), expression)
    assert view.view_explanation(report) == report.explanation


def test_the_catalogue_of_this_page_is_chinese():
    table = catalogue("zh")
    assert table["Tensor playground"] == "张量游乐场" and table["Broadcasting"] == "广播"


@pytest.mark.browser
def test_the_page_in_chinese_in_a_browser(page, app_url):
    from conftest import expect_no_exception, open_page, screenshot

    open_page(page, app_url, "tensors?lang=zh", timeout=120)
    expect_no_exception(page)
    assert page.get_by_text("张量游乐场").first.is_visible()
    screenshot(page, "zh_tensor_playground")


def test_the_search_box_finds_operations_by_their_chinese_words():
    at = open_in_app(PAGE, {"lang": "zh"})
    at.text_input(key="tp_op_search").set_value("平方根").run()
    assert not at.exception
    names = at.selectbox(key="tp_op").options
    assert any("torch.sqrt" in n for n in names) and len(names) < 20
