"""The tensor playground page: AppTest drives every tab; a browser test does the same in Chromium."""

from __future__ import annotations

import pytest
import torch
from conftest import ROOT, expect_no_exception, open_page, screenshot, wait_idle
from streamlit.testing.v1 import AppTest

PAGE = str(ROOT / "pages/tensor_playground.py")


def fresh() -> AppTest:
    at = AppTest.from_file(PAGE).run(timeout=30)
    assert not at.exception
    return at


def texts(elements) -> str:
    return " ".join(str(e.value) for e in elements)


def test_the_page_starts_with_two_tensors_and_explains_itself():
    at = fresh()
    assert at.title[0].value == "Tensor playground"
    assert set(at.session_state.tp_tensors) == {"a", "b"}
    assert "numpy twin" in texts(at.markdown)
    captions = texts(at.caption)
    assert "shape (2, 3) · float32 · cpu · strides (3, 1) · contiguous · requires_grad False" in captions
    assert len(at.dataframe) >= 2  # the value tables of a and b
    code = at.code[-1].value
    assert "torch.manual_seed(0)\na = torch.randn(2, 3)" in code and "b = torch.tensor([[1, 2, 3], [4, 5, 6]]" in code


def test_creating_a_tensor_adds_a_card_and_a_code_line():
    at = fresh()
    at.text_input(key="tp_new_name").set_value("w")
    at.selectbox(key="tp_new_kind").set_value("eye")
    at.run()
    at.text_input(key="tp_new_shape").set_value("3")
    at.button(key="tp_create").click().run(timeout=30)
    assert not at.exception and not at.error
    w = at.session_state.tp_tensors["w"]
    assert torch.equal(w, torch.eye(3))
    assert "w = torch.eye(3)" in at.code[-1].value
    assert "Made `w = torch.eye(3)`" in texts(at.success)


def test_a_bad_tensor_recipe_shows_an_error_and_loses_nothing():
    at = fresh()
    at.text_input(key="tp_new_name").set_value("a")  # taken
    at.button(key="tp_create").click().run(timeout=30)
    assert not at.exception
    assert "already a tensor called 'a'" in texts(at.error)
    at.text_input(key="tp_new_name").set_value("z")
    at.text_input(key="tp_new_shape").set_value("two, three")
    at.button(key="tp_create").click().run(timeout=30)
    assert "whole numbers" in texts(at.error)
    assert set(at.session_state.tp_tensors) == {"a", "b"}


def test_applying_a_catalogue_op_shows_the_result_and_its_numpy_twin():
    at = fresh()
    at.text_input(key="tp_op_search").set_value("softmax").run()
    at.selectbox(key="tp_op").set_value("torch.softmax").run()
    at.button(key="tp_apply").click().run(timeout=30)
    assert not at.exception and not at.error
    result = at.session_state.tp_result
    assert result["source"] == "torch.softmax(a, dim=1)"
    a = at.session_state.tp_tensors["a"]
    assert torch.allclose(result["value"], torch.softmax(a, dim=1))
    assert "np.exp(a) / np.sum(np.exp(a), axis=1, keepdims=True)" in texts(at.code)
    assert result["verdict"].kind in ("equal", "close")
    assert result["verdict"].kind in texts(at.success)


def test_catalogue_params_come_from_widgets():
    at = fresh()
    at.selectbox(key="tp_op_group").set_value("reductions").run()
    at.selectbox(key="tp_op").set_value("torch.std").run()
    at.text_input(key="tp_p_torch.std_correction").set_value("0").run()
    at.button(key="tp_apply").click().run(timeout=30)
    result = at.session_state.tp_result
    assert result["source"] == "torch.std(a, correction=0)"
    assert result["verdict"].kind in ("equal", "close")
    at.text_input(key="tp_p_torch.std_dim").set_value("oops").run()
    assert "not a valid int" in texts(at.error)


def test_an_expression_and_a_by_design_difference():
    at = fresh()
    at.text_input(key="tp_expr").set_value("torch.std(a)")
    at.button(key="tp_eval").click().run(timeout=30)
    assert not at.exception
    assert "differs" in texts(at.warning)
    assert "Bessel" in texts(at.caption)
    at.text_input(key="tp_expr").set_value("a @ b.t() + 1")
    at.button(key="tp_eval").click().run(timeout=30)
    a, b = at.session_state.tp_tensors["a"], at.session_state.tp_tensors["b"]
    assert torch.allclose(at.session_state.tp_result["value"], a @ b.t() + 1)
    assert "a @ b.T + 1" in texts(at.code)
    assert "result = a @ b.t() + 1" in at.code[-1].value


@pytest.mark.parametrize(("source", "message"), [
    ("torch.load('x.pt')", "torch.load"),
    ("torch.ones(10**6, 10**6)", "limit"),
    ("a.__class__", "'_'"),
    ("a @ a", "cannot be multiplied"),
    ("a +", "not a valid expression"),
])
def test_bad_expressions_show_an_error_not_a_traceback(source, message):
    at = fresh()
    at.text_input(key="tp_expr").set_value(source)
    at.button(key="tp_eval").click().run(timeout=30)
    assert not at.exception
    assert message in texts(at.error)


def test_keeping_and_deleting_tensors():
    at = fresh()
    at.text_input(key="tp_expr").set_value("a.sum(dim=0)")
    at.button(key="tp_eval").click().run(timeout=30)
    at.text_input(key="tp_keep_name").set_value("s")
    at.button(key="tp_keep").click().run(timeout=30)
    assert "s" in at.session_state.tp_tensors
    assert "s = a.sum(dim=0)" in at.code[-1].value
    at.button(key="tp_del_b").click().run(timeout=30)
    assert "b" not in at.session_state.tp_tensors and not at.exception


def test_broadcasting_tab_explains_success_and_failure():
    at = fresh()
    assert "broadcast to (2, 3)" in texts(at.success)
    at.text_input(key="tp_bc_a").set_value("4, 1").run()
    at.text_input(key="tp_bc_b").set_value("1, 5").run()
    assert "broadcast to (4, 5)" in texts(at.success)
    at.text_input(key="tp_bc_b").set_value("2").run()
    assert "broadcast to (4, 2)" in texts(at.success) and not at.error
    at.text_input(key="tp_bc_a").set_value("4, 3").run()
    assert "do not broadcast" in texts(at.error) and "dim -1 (3 vs 2)" in texts(at.error)


def test_views_and_copies_tab():
    at = fresh()
    assert "is a view" in texts(at.info)  # x.t() by default
    at.selectbox(key="tp_view_expr").set_value("x.clone()").run()
    assert "made a copy" in texts(at.success)
    assert "did not change" in texts(at.markdown)
    at.selectbox(key="tp_view_expr").set_value("x[:, 1:]").run()
    assert "changed too" in texts(at.markdown)
    assert torch.equal(at.session_state.tp_tensors["b"], torch.tensor([[1.0, 2, 3], [4, 5, 6]])), "untouched"


# ---------------------------------------------------------------- browser
def _fill(page, key: str, text: str) -> None:
    box = page.locator(f".st-key-{key} input").first
    box.fill(text)
    box.press("Enter")
    wait_idle(page)


def _click(page, key: str) -> None:
    page.locator(f".st-key-{key} button").first.click()
    wait_idle(page)


@pytest.mark.browser
def test_playground_in_the_browser(page, app_url):
    page.set_viewport_size({"width": 1400, "height": 2200})  # tall, so the screenshot shows the result
    open_page(page, app_url, "tensors")
    expect_no_exception(page)
    assert page.get_by_role("heading", name="Tensor playground").first.is_visible()
    # create a tensor
    page.get_by_text("Create a tensor").click()
    _fill(page, "tp_new_name", "w")
    _fill(page, "tp_new_shape", "2, 3")
    _click(page, "tp_create")
    expect_no_exception(page)
    assert page.locator('[data-testid="stAlert"]').filter(has_text="w = torch.randn(2, 3)").count() == 1
    assert page.locator(".st-key-tp_del_w").count() == 1  # w's card
    # apply a catalogue op (found by searching)
    _fill(page, "tp_op_search", "transpose")
    _click(page, "tp_apply")
    expect_no_exception(page)
    assert page.locator('[data-testid="stCode"]').filter(has_text="torch.transpose(a, 0, 1)").count() >= 2
    assert page.locator('[data-testid="stCode"]').filter(has_text="np.swapaxes(a, 0, 1)").count() == 1
    assert page.locator('[data-testid="stAlert"]').filter(has_text="the values are identical").count() == 1
    screenshot(page, "tensor_playground_catalogue")
    # an expression
    page.get_by_role("tab", name="Expression").click()
    _fill(page, "tp_expr", "torch.softmax(a, dim=1)")
    _click(page, "tp_eval")
    expect_no_exception(page)
    assert page.locator('[data-testid="stCode"]').filter(has_text="np.exp(a)").count() == 1
    screenshot(page, "tensor_playground")
    # an error
    _fill(page, "tp_expr", "torch.load('x.pt')")
    _click(page, "tp_eval")
    expect_no_exception(page)
    alert = page.locator('[data-testid="stAlert"]').filter(has_text="torch.load")
    assert alert.count() == 1 and alert.first.is_visible()
    screenshot(page, "tensor_playground_error")
    # broadcasting and views
    page.get_by_role("tab", name="Broadcasting").click()
    _fill(page, "tp_bc_b", "4, 1, 3")
    assert page.locator('[data-testid="stAlert"]').filter(has_text="broadcast to (4, 2, 3)").count() == 1
    page.get_by_role("tab", name="Views & copies").click()
    wait_idle(page)
    assert page.locator('[data-testid="stAlert"]').filter(has_text="is a view").count() == 1
    expect_no_exception(page)
    screenshot(page, "tensor_playground_views")
