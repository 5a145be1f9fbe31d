"""The autograd explorer page: presets, backward, step-through, checks, errors (AppTest), and the SVG
graph in Chromium (browser)."""

from __future__ import annotations

import ast
import re
import time
from pathlib import Path

import pytest
from conftest import away_and_back as to_other_page_and_back
from conftest import ROOT, expect_no_exception, open_in_app, open_page, screenshot, url_notes, wait_idle
from playwright.sync_api import expect
from streamlit.testing.v1 import AppTest

from pytorch_explorer.autograd.figures import GRAD_COLOR
from pytorch_explorer.autograd.presets import PRESETS

PAGE = str(ROOT / "pages/autograd_explorer.py")


def run_page() -> AppTest:
    at = AppTest.from_file(PAGE).run(timeout=30)
    assert not at.exception
    return at


def dots(at: AppTest) -> list[str]:
    """The DOT source of every st.graphviz_chart on the page (main graph first, dynamic graph last)."""
    return [chart.proto.spec for chart in at.get("graphviz_chart")]


def node_ids(dot: str) -> list[str]:
    return re.findall(r'^  "([^"]+)" \[label=', dot, flags=re.M)


def choose(at: AppTest, preset: str) -> AppTest:
    at.selectbox(key="ag_preset").set_value(preset).run(timeout=30)
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def test_first_view_shows_the_recorded_graph_and_the_code():
    at = run_page()
    assert at.title[0].value == "Autograd explorer"
    main = dots(at)[0]
    assert set(node_ids(main)) == {"w", "x", "b", "AccumulateGrad(w)", "AccumulateGrad(b)", "MulBackward0", "AddBackward0"}
    assert GRAD_COLOR not in main                   # no gradients before backward
    code = at.get("code")[0].proto.code_text if at.get("code") else ""
    assert "out = w * x + b" in code


@pytest.mark.parametrize("key, expected", [
    ("neuron", {"DotBackward0", "SigmoidBackward0", "AccumulateGrad(w)"}),
    ("toy", {"MmBackward0", "MmBackward0 #2", "SigmoidBackward0 #2", "PowBackward0", "DivBackward0", "X", "y"}),
    ("reuse", {"MulBackward0", "AddBackward0", "AccumulateGrad(x)"}),
    ("cross_entropy", {"LogSoftmaxBackward0", "NllLossBackward0", "target"}),
    ("detach", {"detach()", "MulBackward0 #2"}),
    ("where", {"gt()", "WhereBackward0"}),
])
def test_each_preset_draws_its_backward_functions(key, expected):
    at = choose(run_page(), key)
    assert at.text_input(key="ag_expr").value == PRESETS[key].expression
    assert expected <= set(node_ids(dots(at)[0]))


def test_backward_fills_gradients_and_steps_through_in_order():
    at = choose(run_page(), "reuse")
    at.button(key="ag_backward").click().run(timeout=30)
    main = dots(at)[0]
    assert "x.grad 7" in main                       # d(x*x + x)/dx = 2*3 + 1
    at.radio(key="ag_view").set_value("backward step by step").run(timeout=30)
    assert at.info[0].value.startswith("**Step 1 of 3: `AddBackward0`**")
    assert '"AddBackward0" [label=' in dots(at)[0] and 'penwidth="4"' in _node_line(dots(at)[0], "AddBackward0")
    assert "x.grad 7" not in dots(at)[0]            # not reached yet
    at.button(key="ag_next").click().run(timeout=30)
    assert at.info[0].value.startswith("**Step 2 of 3: `MulBackward0`**")
    at.slider(key="ag_step").set_value(3).run(timeout=30)
    text = at.info[0].value
    assert "Step 3 of 3: `AccumulateGrad`" in text
    assert "**add up**: 3 from `MulBackward0` + 3 from `MulBackward0` + 1 from `AddBackward0` = 7" in text
    assert 'penwidth="4"' in _node_line(dots(at)[0], "AccumulateGrad(x)")
    assert "x.grad 7" in dots(at)[0]
    at.button(key="ag_prev").click().run(timeout=30)
    assert at.info[0].value.startswith("**Step 2 of 3")


def _node_line(dot: str, node_id: str) -> str:
    return next(line for line in dot.splitlines() if line.startswith(f'  "{node_id}" [label='))


def test_finite_difference_check_agrees_and_explains_detach():
    at = choose(run_page(), "toy")
    at.button(key="ag_check").click().run(timeout=60)
    table = at.dataframe[0].value
    assert list(table["input"]) == ["wh", "bh", "wout", "bout"]
    assert set(table["agree"]) == {"yes"}
    at = choose(at, "detach")
    at.button(key="ag_check").click().run(timeout=30)
    table = at.dataframe[0].value
    assert list(table["agree"]) == ["NO"] and list(table["autograd"]) == ["3"] and list(table["finite differences"]) == ["39"]
    assert "detach" in at.warning[0].value


def test_backward_twice_without_zero_grad_doubles_the_gradients():
    at = choose(run_page(), "linear")
    at.button(key="ag_backward").click().run(timeout=30)
    at.button(key="ag_again").click().run(timeout=30)
    table = at.dataframe[-1].value
    assert list(table["grad after the first backward()"]) == ["2", "1"]
    assert list(table[".grad now, after 2 backward()"]) == ["4", "2"]
    assert list(table["ratio"]) == ["2", "2"]
    assert "w.grad 4" in dots(at)[0]
    assert any("zero_grad" in m.value and "digit" in m.value for m in at.markdown)
    at.button(key="ag_zero").click().run(timeout=30)
    assert "w.grad 2" in dots(at)[0]


def test_errors_are_shown_not_raised():
    at = run_page()
    at.text_input(key="ag_expr").set_value("__import__('os').system('echo hi')").run(timeout=30)
    assert not at.exception
    assert "__" in at.error[0].value
    at.text_input(key="ag_expr").set_value("w @ torch.ones(3, 3)").run(timeout=30)
    assert not at.exception and at.error
    at.text_input(key="ag_expr").set_value("w * x + b").run(timeout=30)
    at.text_input(key="ag_value_1").set_value("[1, 2").run(timeout=30)
    assert not at.exception and "x" in at.error[0].value
    at.text_input(key="ag_value_1").set_value("2.0").run(timeout=30)
    assert not at.error
    for i in range(3):
        at.checkbox(key=f"ag_grad_{i}").uncheck()
    at.run(timeout=30)
    assert not at.exception
    assert at.button(key="ag_backward").disabled


def test_dynamic_graph_follows_the_slider_and_the_data():
    at = run_page()
    at.slider(key="ag_loop_n").set_value(5).run(timeout=30)
    assert node_ids(dots(at)[-1]).count("MulBackward0 #5") == 1
    assert "MulBackward0 #6" not in node_ids(dots(at)[-1])
    at.radio(key="ag_dyn_kind").set_value("a branch").run(timeout=30)
    assert "SumBackward0" in node_ids(dots(at)[-1])
    at.slider(key="ag_branch_x").set_value(-2.0).run(timeout=30)
    ids = node_ids(dots(at)[-1])
    assert "PowBackward0" in ids and "MeanBackward0" in ids and "SumBackward0" not in ids



# ---------------------------------------------------------------- settings in the URL (issue 12)
PAGE_PATH = "pages/autograd_explorer.py"


def in_app(query: dict | None = None) -> AppTest:
    return open_in_app(PAGE_PATH, query, timeout=30)


def away_and_back(at: AppTest) -> AppTest:
    return to_other_page_and_back(at, PAGE_PATH, "pages/tensor_playground.py", "Tensor playground")


def test_the_typed_expression_and_inputs_survive_a_page_switch():
    at = in_app()
    choose(at, "neuron")
    at.text_input(key="ag_expr").set_value("torch.sigmoid(w @ x) * k")
    at.number_input(key="ag_n_inputs").set_value(4).run()
    at.text_input(key="ag_name_3").set_value("k")
    at.text_input(key="ag_value_3").set_value("3.0")
    at.checkbox(key="ag_grad_1").check()
    at.radio(key="ag_dyn_kind").set_value("a branch").run()
    at.slider(key="ag_branch_x").set_value(-1.5).run()
    at.button(key="ag_backward").click().run()
    at.radio(key="ag_view").set_value("backward step by step").run()
    away_and_back(at)
    assert at.selectbox(key="ag_preset").value == "neuron"
    assert at.text_input(key="ag_expr").value == "torch.sigmoid(w @ x) * k"
    assert at.number_input(key="ag_n_inputs").value == 4
    assert (at.text_input(key="ag_name_3").value, at.text_input(key="ag_value_3").value) == ("k", "3.0")
    assert at.checkbox(key="ag_grad_1").value is True
    assert at.radio(key="ag_dyn_kind").value == "a branch" and at.slider(key="ag_branch_x").value == -1.5
    assert at.radio(key="ag_view").value == "backward step by step"  # kept too, though not in the URL
    assert "AccumulateGrad(k)" in node_ids(dots(at)[0]) and not at.error


def test_a_shared_link_opens_its_expression_and_inputs():
    at = in_app({"ag_preset": PRESETS["neuron"].title, "ag_expr": "torch.tanh(w @ x) + b", "ag_value_2": "0.5",
                 "ag_grad_0": "false", "ag_dyn_kind": "a branch", "ag_branch_x": "-2"})
    assert not url_notes(at), url_notes(at)
    assert at.selectbox(key="ag_preset").value == "neuron"
    assert at.text_input(key="ag_expr").value == "torch.tanh(w @ x) + b"
    assert at.text_input(key="ag_value_0").value == PRESETS["neuron"].inputs[0].value  # the rest: the preset's
    assert at.text_input(key="ag_value_2").value == "0.5" and at.checkbox(key="ag_grad_0").value is False
    graph = node_ids(dots(at)[0])
    assert "tanh()" in graph and "AccumulateGrad(w)" not in graph and "AccumulateGrad(b)" in graph  # w: no grad
    assert at.radio(key="ag_dyn_kind").value == "a branch" and at.slider(key="ag_branch_x").value == -2.0
    assert "PowBackward0" in node_ids(dots(at)[-1])


def test_a_hostile_address_falls_back_to_the_defaults_with_a_note():
    at = in_app({"ag_preset": "nope", "ag_n_inputs": "99", "ag_loop_n": "seven", "ag_grad_0": "yes",
                 "ag_dyn_kind": "<img src=x onerror=alert(1)>", "ag_passes": "3", "ag_step": "2",
                 "**bold**": "[x](http://evil)", "ag_branch_x": "1e999"})
    assert at.selectbox(key="ag_preset").value == "linear" and at.text_input(key="ag_expr").value == "w * x + b"
    assert at.number_input(key="ag_n_inputs").value == len(PRESETS["linear"].inputs)
    assert at.slider(key="ag_loop_n").value == 3 and at.radio(key="ag_dyn_kind").value == "a loop"
    assert at.session_state["ag_passes"] == 0  # a query key is never page state
    [note] = url_notes(at)
    for key in ("ag_preset", "ag_n_inputs", "ag_loop_n", "ag_grad_0", "ag_dyn_kind", "ag_passes", "**bold**"):
        assert f"`{key}`" in note, key


@pytest.mark.parametrize("expression", ["__import__('os').system('echo hi')", "w * " * 2500 + "1",
                                        "`![x](http://evil/x.png)` <script>alert(1)</script>"])
def test_an_expression_from_the_address_goes_only_to_the_safe_evaluator(expression):
    at = in_app({"ag_expr": expression})
    assert at.text_input(key="ag_expr").value == expression and at.error  # refused, with a message
    assert not url_notes(at)

def session_keys(page_source: str) -> set[str]:
    """Every session_state key the page names: ss.x, ss["x"], ss.get("x"), ss.update(x=...), widgets' key="x"."""

    def text(node: ast.AST) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
            return node.values[0].value + "{}"     # f"ag_name_{i}" -> "ag_name_{}"
        return None

    def is_ss(node: ast.AST) -> bool:
        return isinstance(node, ast.Name) and node.id == "ss" or (
            isinstance(node, ast.Attribute) and node.attr == "session_state")

    keys: set[str | None] = set()
    for node in ast.walk(ast.parse(page_source)):
        if isinstance(node, ast.Attribute) and is_ss(node.value) and node.attr not in ("get", "setdefault", "update"):
            keys.add(node.attr)
        elif isinstance(node, ast.Subscript) and is_ss(node.value):
            keys.add(text(node.slice))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and is_ss(node.func.value):
            if node.func.attr in ("get", "setdefault") and node.args:
                keys.add(text(node.args[0]))
            keys |= {kw.arg for kw in node.keywords}
        if isinstance(node, ast.Call):
            keys |= {text(kw.value) for kw in node.keywords if kw.arg == "key"}
    return keys


def test_the_page_uses_only_its_own_session_state_keys():
    keys = session_keys(Path(PAGE).read_text())
    assert {"ag_preset", "ag_expr", "ag_passes", "ag_name_{}", "ag_step", "ag_fd"} <= keys   # the scan sees them
    assert all(k is not None and k.startswith("ag_") for k in keys), sorted(map(str, keys))
    assert "model_shelf" not in Path(PAGE).read_text()


def svg_titles(chart, expected: set[str], timeout: float = 30.0) -> set[str]:
    """The node titles of a rendered graphviz SVG, once they include `expected` (or whatever is there at the timeout).

    The chart draws its SVG in the browser after the script run ends, so an early read can see part of it.
    """
    deadline = time.monotonic() + timeout
    while True:
        titles = {t.text_content() for t in chart.locator("g.node > title").all()}
        if expected <= titles or time.monotonic() > deadline:
            return titles
        time.sleep(0.2)


@pytest.mark.browser
def test_graph_renders_as_svg_with_the_backward_functions(page, app_url):
    page.set_viewport_size({"width": 1400, "height": 2600})   # tall, so the screenshot shows the graphs
    open_page(page, app_url, "autograd")
    chart = page.locator('[data-testid="stGraphVizChart"] svg').first
    chart.wait_for(timeout=30_000)
    expected = {"MulBackward0", "AddBackward0", "AccumulateGrad(w)", "AccumulateGrad(b)", "w", "x", "b"}
    assert expected <= svg_titles(chart, expected)
    page.get_by_role("button", name="Run backward").click()
    wait_idle(page)
    chart = page.locator('[data-testid="stGraphVizChart"] svg').first
    expect(chart).to_contain_text("w.grad 2", timeout=30_000)
    page.get_by_text("backward step by step").click()
    wait_idle(page)
    page.get_by_role("button", name="Next ▶").click()
    wait_idle(page)
    assert "Step 2 of 4" in page.locator('[data-testid="stAlert"]').first.inner_text()
    expect_no_exception(page)
    dynamic = page.locator('[data-testid="stGraphVizChart"] svg').last
    loop = {"MulBackward0", "MulBackward0 #2", "MulBackward0 #3"}  # the dynamic graph's loop, 3 times round
    titles = svg_titles(dynamic, loop)
    assert sum(t.startswith("MulBackward0") for t in titles) == 3, titles
    screenshot(page, "autograd-explorer")
