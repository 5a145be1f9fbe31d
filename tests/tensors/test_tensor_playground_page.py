"""The tensor playground page: AppTest drives every tab; a browser test does the same in Chromium."""

from __future__ import annotations

import json

import pytest
import torch
from conftest import away_and_back as to_other_page_and_back
from conftest import ROOT, expect_no_exception, open_in_app, open_page, screenshot, url_notes, wait_idle
from streamlit.testing.v1 import AppTest

from ui.tensor_playground import op_label, view_label

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


def evaluate_on_page(at: AppTest, source: str) -> AppTest:
    at.text_input(key="tp_expr").set_value(source)
    at.button(key="tp_eval").click().run(timeout=30)
    assert not at.exception
    return at


def result_shown(at: AppTest) -> bool:
    """Whether the page shows a result (its PyTorch value and its numpy twin)."""
    return any(m.value in ("**PyTorch**", "**numpy twin**") for m in at.markdown)


def test_an_error_replaces_the_last_result_and_comes_with_a_hint():
    at = evaluate_on_page(fresh(), "a @ b.t() + 1")
    assert result_shown(at) and at.session_state.tp_result["verdict"].kind in ("equal", "close")
    evaluate_on_page(at, "torch.arange(12).reshape(3,4) @ torch.ones(4,2)")
    assert "same dtype" in texts(at.error), "PyTorch's own message stays visible"
    assert "Hint" in texts(at.info) and ".float()" in texts(at.info) and "torch.arange(12.)" in texts(at.info)
    assert not result_shown(at)
    verdicts = [str(x.value) for x in [*at.success, *at.warning] if str(x.value).startswith(("**equal", "**close", "**differs"))]
    assert not verdicts and "value" not in at.session_state.tp_result, "the old result is gone"
    assert "result =" not in at.code[-1].value, "the page's code does not claim a result"
    evaluate_on_page(at, "a @ b")
    assert "cannot be multiplied (2x3 and 2x3)" in texts(at.error) and "B.T" in texts(at.info)
    evaluate_on_page(at, "a[:, ::-1]")
    assert "step must be greater than zero" in texts(at.error)
    assert "numpy allows a negative step" in texts(at.info) and "torch.flip(a, dims=(1,))" in texts(at.info)
    evaluate_on_page(at, "a.sum()")
    assert not at.error and result_shown(at), "a good expression brings the result back"


def test_a_failing_catalogue_op_replaces_the_last_result_too():
    at = fresh()
    at.button(key="tp_apply").click().run(timeout=30)  # the first op on a: works
    assert at.session_state.tp_result.get("value") is not None
    at.text_input(key="tp_op_search").set_value("mm").run()
    at.selectbox(key="tp_op").set_value("torch.mm").run()
    at.button(key="tp_apply").click().run(timeout=30)  # a and b are both 2x3
    assert not at.exception and "cannot be multiplied" in texts(at.error) and "B.T" in texts(at.info)
    assert not result_shown(at)


def test_a_large_matrix_shows_a_heatmap_and_a_4d_tensor_shows_slices():
    at = evaluate_on_page(fresh(), "torch.randn(1000, 1000)")
    result = next(e for e in at.expander if e.label.startswith("Heatmap of 5 x 5 block means"))
    chart = json.loads(next(iter(result.children.values())).proto.spec)
    assert [trace["type"] for trace in chart["data"]] == ["heatmap"]
    for expander in at.expander:  # every figure is what its title says
        charts = [c for c in expander.children.values() if hasattr(c, "proto") and hasattr(c.proto, "spec")]
        for c in charts:
            kind = json.loads(c.proto.spec)["data"][0]["type"]
            assert expander.label.lower().startswith({"heatmap": "heatmap", "histogram": "histogram", "bar": "bars"}[kind])
    evaluate_on_page(at, "torch.arange(120.).reshape(2, 3, 4, 5)")
    at.number_input(key="tp_slice_result_0").set_value(1).run()
    at.number_input(key="tp_slice_result_1").set_value(2).run()
    assert not at.exception
    shown = at.dataframe[-1].value
    assert shown.shape == (4, 5) and shown.to_numpy().tolist() == torch.arange(120.).reshape(2, 3, 4, 5)[1, 2].tolist()
    assert "result[1, 2]" in texts(at.markdown)


def test_the_why_note_matches_the_difference_and_the_limit_is_stated():
    at = evaluate_on_page(fresh(), "torch.tensor([7, -7]) // 2")
    assert at.session_state.tp_result["value"].tolist() == [3, -4]

    def why() -> str:
        return texts(c for c in at.caption if str(c.value).startswith("Why:"))

    assert "float" not in why(), "int64 in torch and numpy: no note about floats"
    evaluate_on_page(at, "torch.tensor([7, -7]) / 2")
    assert "float32" in why() and "float64" in why()
    assert "10,000,000 elements" in texts(at.caption)


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



# ---------------------------------------------------------------- settings in the URL (issue 12)
PAGE_PATH = "pages/tensor_playground.py"


def in_app(query: dict | None = None) -> AppTest:
    return open_in_app(PAGE_PATH, query, timeout=30)


def away_and_back(at: AppTest) -> AppTest:
    return to_other_page_and_back(at, PAGE_PATH, "pages/autograd_explorer.py", "Autograd explorer")


def test_settings_and_the_typed_expression_survive_a_page_switch():
    at = in_app()
    at.text_input(key="tp_expr").set_value("torch.std(a) * 2")
    at.selectbox(key="tp_new_kind").set_value("randint").run()
    at.number_input(key="tp_new_high").set_value(99)
    at.selectbox(key="tp_new_dtype_int64").set_value("int32")
    at.selectbox(key="tp_op_group").set_value("reductions").run()
    at.selectbox(key="tp_op").set_value("torch.std").run()
    at.text_input(key="tp_p_torch.std_correction").set_value("0")
    at.text_input(key="tp_bc_b").set_value("4, 1, 3")
    at.selectbox(key="tp_view_expr").set_value("x.clone()")
    at.radio(key="tp_view_target").set_value("x").run()
    away_and_back(at)
    assert at.text_input(key="tp_expr").value == "torch.std(a) * 2"
    assert at.selectbox(key="tp_new_kind").value == "randint" and at.number_input(key="tp_new_high").value == 99
    assert at.selectbox(key="tp_new_dtype_int64").value == "int32"
    assert at.selectbox(key="tp_op_group").value == "reductions" and at.selectbox(key="tp_op").value == "torch.std"
    assert at.text_input(key="tp_p_torch.std_correction").value == "0"
    assert "torch.std(a, correction=0)" in texts(at.code)
    assert at.text_input(key="tp_bc_b").value == "4, 1, 3" and "broadcast to (4, 2, 3)" in texts(at.success)
    assert at.selectbox(key="tp_view_expr").value == "x.clone()" and at.radio(key="tp_view_target").value == "x"


def test_a_shared_link_opens_its_settings():
    at = in_app({"tp_expr": "a.sum(dim=0)", "tp_new_kind": "torch.zeros", "tp_new_shape": "2, 2",
                 "tp_new_grad": "true", "tp_op_search": "std", "tp_op": op_label("torch.std"),
                 "tp_p_torch.std_correction": "0", "tp_bc_a": "5, 1, 1", "tp_view_expr": view_label("x.clone()"),
                 "tp_view_inplace": "mul_(10)"})
    assert not url_notes(at), url_notes(at)
    assert at.text_input(key="tp_expr").value == "a.sum(dim=0)"
    assert at.selectbox(key="tp_new_kind").value == "zeros" and at.text_input(key="tp_new_shape").value == "2, 2"
    assert at.checkbox(key="tp_new_grad").value is True
    assert at.selectbox(key="tp_op").value == "torch.std" and "torch.std(a, correction=0)" in texts(at.code)
    assert "broadcast to (5, 2, 3)" in texts(at.success)
    assert at.selectbox(key="tp_view_expr").value == "x.clone()" and "made a copy" in texts(at.success)
    assert at.session_state.tp_result is None  # a link sets the controls; only Evaluate runs the expression
    at.button(key="tp_eval").click().run()
    assert at.session_state.tp_result["source"] == "a.sum(dim=0)" and not at.error


def test_a_hostile_address_falls_back_to_the_defaults_with_a_note():
    at = in_app({"tp_new_kind": "__import__", "tp_new_fill": "lots", "tp_new_grad": "maybe",
                 "tp_new_device": "cuda:99", "tp_op_group": "<script>alert(1)</script>", "tp_view_x": "zz",
                 "tp_view_target": "**both**", "tp_specs": "{}", "tp_result": "x", "[x](http://evil)": "1",
                 "tp_bc_a": "9" * 10_000})
    assert at.selectbox(key="tp_new_kind").value == "randn" and at.checkbox(key="tp_new_grad").value is False
    assert at.selectbox(key="tp_op_group").value == "all" and at.radio(key="tp_view_target").value == "result"
    assert set(at.session_state.tp_tensors) == {"a", "b"} and at.session_state.tp_result is None
    assert at.error  # the 10 kB shape is a learner's error on the broadcasting tab, not a traceback
    [note] = url_notes(at)
    for key in ("tp_new_kind", "tp_new_grad", "tp_new_device", "tp_op_group", "tp_view_x", "tp_view_target",
                "tp_specs", "tp_result", "[x](http://evil)"):
        assert f"`{key}`" in note, key
    assert "9" * 81 not in note


@pytest.mark.parametrize("expression", ["__import__('os').system('echo hi')", "a + " * 2500 + "1",
                                        "open('/etc/passwd').read()"])
def test_an_expression_from_the_address_goes_only_to_the_safe_evaluator(expression):
    at = in_app({"tp_expr": expression})
    assert at.text_input(key="tp_expr").value == expression and not url_notes(at)
    at.button(key="tp_eval").click().run()
    assert not at.exception and "error" in at.session_state.tp_result

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
    # a PyTorch error: its message, a hint under it, and the old result gone
    _fill(page, "tp_expr", "a @ b")
    _click(page, "tp_eval")
    expect_no_exception(page)
    alerts = page.locator('[data-testid="stAlert"]')
    assert alerts.filter(has_text="cannot be multiplied (2x3 and 2x3)").count() == 1
    hint = alerts.filter(has_text="Hint")
    assert hint.count() == 1 and hint.first.is_visible() and "B.T" in hint.first.text_content()
    assert page.locator('[data-testid="stCode"]').filter(has_text="np.exp(a)").count() == 0, "the old result is gone"
    assert alerts.filter(has_text="torch.load").count() == 0
    screenshot(page, "tensor_playground_error")
    # a 4-D result is seen through 2-D slices chosen by its leading indices
    _fill(page, "tp_expr", "torch.arange(120.).reshape(2, 3, 4, 5)")
    _click(page, "tp_eval")
    _fill(page, "tp_slice_result_1", "2")
    expect_no_exception(page)
    assert page.get_by_text("result[0, 2]").count() == 1
    assert page.locator('[data-testid="stAlert"]').filter(has_text="Hint").count() == 0
    screenshot(page, "tensor_playground_slices")
    # broadcasting and views
    page.get_by_role("tab", name="Broadcasting").click()
    _fill(page, "tp_bc_b", "4, 1, 3")
    assert page.locator('[data-testid="stAlert"]').filter(has_text="broadcast to (4, 2, 3)").count() == 1
    page.get_by_role("tab", name="Views & copies").click()
    wait_idle(page)
    assert page.locator('[data-testid="stAlert"]').filter(has_text="is a view").count() == 1
    expect_no_exception(page)
    screenshot(page, "tensor_playground_views")
