"""The Toy networks page: AppTest drives every tab; a browser test trains two versions side by side."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ROOT, away_and_back, expect_no_exception, open_in_app, open_page, screenshot, url_notes, wait_idle
from streamlit.testing.v1 import AppTest

from pytorch_explorer.toy.settings import IMPLEMENTATION_TITLES, IMPLEMENTATIONS, SHORT_TITLES

PAGE = str(ROOT / "pages/toy_networks.py")
TITLES = IMPLEMENTATION_TITLES
SHORT = SHORT_TITLES


def _page() -> AppTest:
    at = AppTest.from_file(PAGE).run(timeout=60)
    assert not at.exception, at.exception
    return at


def _frame_with(at: AppTest, column: str):
    frames = [d.value for d in at.dataframe if column in d.value.columns]
    assert frames, f"no table with a {column!r} column"
    return frames[0]


def test_page_opens_with_the_article_settings_and_the_gradient_check():
    at = _page()
    assert at.title[0].value == "Toy networks"
    assert at.slider(key="toy_epochs").value == 5000 and at.select_slider(key="toy_lr").value == 0.1
    assert at.multiselect(key="toy_impls").value == ["numpy", "torch-article"]
    assert any("Train side by side" in i.value for i in at.info)
    table = _frame_with(at, "parameter").set_index("parameter")
    assert table["1. numpy"].max() < 1e-6 and table["3. torch, corrected"].max() < 1e-6
    assert table.loc["bh", "2. torch, as the article (vs the network it computes: no bout)"] > 1e-3
    assert "to within" in at.success[0].value
    assert "bias gradients are wrong" in at.warning[0].value
    bias = _frame_with(at, "article's hand-written")
    assert list(bias["parameter"]) == ["bh[0]", "bh[1]", "bh[2]", "bout[0]"]
    assert bias["article's hand-written"].nunique() == 1  # one scalar for all four
    # the code beside the curve is the first chosen version's, with the current settings
    assert "np.dot(X, wh)" in at.code[0].value and "epoch = 5000" in at.code[0].value


def test_training_each_implementation_side_by_side():
    at = _page()
    at.multiselect(key="toy_impls").set_value(list(IMPLEMENTATIONS))
    at.button(key="toy_train").click().run(timeout=240)
    assert not at.exception, at.exception
    results = at.session_state["toy_results"]
    assert list(results) == list(IMPLEMENTATIONS)
    assert all(r.epochs == 5000 for r in results.values())
    predictions = _frame_with(at, "y")
    y = predictions["y"].to_numpy()
    for impl in ("numpy", "torch-fixed", "autograd", "nn"):
        assert np.max(np.abs(predictions[SHORT[impl]].to_numpy() - y)) < 0.1, impl
    summary = _frame_with(at, "within 0.1 of y").set_index("version")
    assert summary.loc[SHORT["numpy"], "final loss (MSE)"] == pytest.approx(
        summary.loc[SHORT["torch-fixed"], "final loss (MSE)"], rel=1e-9)
    assert (summary["within 0.1 of y"] == "yes").sum() >= 4
    text = " ".join(m.value for m in at.markdown)
    assert "Every hidden bias moved by the same amount" in text
    # the code view follows the chosen implementation
    expected = {"numpy": "np.dot(X, wh)", "torch-article": "# <- DEFECT 3", "torch-fixed": "d_hiddenlayer.sum(dim=0",
                "autograd": "loss.backward()", "nn": "torch.optim.SGD(model.parameters(), lr=lr)"}
    for impl, marker in expected.items():
        at.selectbox(key="toy_code_impl").set_value(impl).run(timeout=60)
        assert marker in at.code[0].value, impl
    assert at.expander[-1].label.startswith("PyTorch code of the versions chosen above")
    assert all(f"# ---- {TITLES[impl]}" in at.code[-1].value for impl in IMPLEMENTATIONS)
    # results stay on screen after a change, with a note that they are from earlier settings
    assert any("Try seed 1" in c.value for c in at.caption)  # seed 0: the article's version still fits
    at.slider(key="toy_hidden").set_value(4).run(timeout=60)
    assert any("earlier settings" in c.value for c in at.caption)
    assert "X.shape[1], 4, 1" in at.code[0].value  # nn's code, now with 4 hidden units


def test_seed_1_shows_the_article_version_stuck():
    at = _page()
    at.number_input(key="toy_seed").set_value(1)
    at.multiselect(key="toy_impls").set_value(["torch-article", "torch-fixed"])
    at.button(key="toy_train").click().run(timeout=120)
    assert not at.exception, at.exception
    stuck = [w.value for w in at.warning if w.value.startswith("Stuck")]
    assert len(stuck) == 1 and "[0, 1, 0, 1]" in stuck[0] and "sigmoid(0) = 0.5" in stuck[0]


def test_aligned_view_marks_the_article_defects_only():
    at = _page()
    aligned = _frame_with(at, "torch")
    assert (aligned["same"] == "DEFECT").sum() == 3
    numpy_text, torch_text = at.code[1].value, at.code[2].value  # the two columns, after the code view
    assert len(numpy_text.splitlines()) == len(torch_text.splitlines())
    pairs = dict(zip(numpy_text.splitlines(), torch_text.splitlines(), strict=True))
    assert pairs["    hidden_layer_input1 = np.dot(X, wh)"] == "    hidden_layer_input1 = torch.mm(X, wh)"
    # long lines are broken to fit the column (issue 13): the twin of the numpy statement's first line is marked
    assert next(right for left, right in pairs.items()
                if left.startswith("    bh += np.sum(d_hiddenlayer, axis=0,")).endswith("# <- DEFECT 3")
    at.radio(key="toy_align_with").set_value("torch-fixed").run(timeout=60)
    aligned = _frame_with(at, "torch")
    assert (aligned["same"] == "DEFECT").sum() == 0 and (aligned["same"] == "library differs").sum() > 5


def test_gradient_check_follows_the_settings():
    at = _page()
    at.selectbox(key="toy_activation").set_value("tanh")
    at.slider(key="toy_hidden").set_value(6).run(timeout=60)
    bias = _frame_with(at, "article's hand-written")
    assert len(bias) == 7  # six hidden biases and bout
    table = _frame_with(at, "parameter").set_index("parameter")
    assert table["1. numpy"].max() < 1e-6


def test_speed_tab_measures_and_explains():
    at = _page()
    at.number_input(key="toy_speed_tiny").set_value(10)
    at.number_input(key="toy_speed_large").set_value(1)
    at.button(key="toy_speed_run").click().run(timeout=120)
    assert not at.exception, at.exception
    rows = _frame_with(at, "ms_per_epoch")
    assert {("tiny", "numpy"), ("tiny", "torch"), ("large", "numpy"), ("large", "torch")} <= set(
        zip(rows["problem"], rows["library"], strict=True))
    assert (rows["ms_per_epoch"] > 0).all()
    assert any("a GPU cannot help there" in m.value for m in at.markdown)


def test_the_playground_tab_points_to_the_playground_page():
    at = _page()
    assert any("has a page of its own" in m.value for m in at.markdown)
    assert "pg_trainer" not in at.session_state  # the playground no longer lives on this page


@pytest.mark.browser
def test_two_versions_train_side_by_side_in_the_browser(page, app_url):
    open_page(page, app_url, "toy-networks", timeout=120)
    # the page's last element: its script has run to the end (the first run imports torch: slow)
    page.get_by_text("PyTorch code of the versions chosen above").wait_for(timeout=120_000)
    wait_idle(page, timeout=120)
    expect_no_exception(page)
    assert page.get_by_role("heading", name="Toy networks").first.is_visible()
    page.get_by_role("button", name="Train side by side").click(timeout=60_000)
    wait_idle(page, timeout=180)
    expect_no_exception(page)
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    chart.locator(".scatterlayer .trace").first.wait_for(timeout=30_000)
    assert chart.locator(".scatterlayer .trace").count() == 2
    legend = chart.locator(".legend .legendtext").all_text_contents()
    assert TITLES["numpy"] in legend and TITLES["torch-article"] in legend
    assert page.get_by_text("Every hidden bias moved by the same amount").is_visible()
    chart.scroll_into_view_if_needed()
    screenshot(page, "toy-networks-trained")

    page.get_by_role("tab", name="Gradient check").click()
    page.get_by_text("every gradient equals autograd's").wait_for(timeout=10_000)
    screenshot(page, "toy-networks-gradients")

    page.get_by_role("tab", name="Playground (2-D)").click()
    page.get_by_text("Open the Toy playground").wait_for(timeout=10_000)
    screenshot(page, "toy-networks-playground")


@pytest.mark.browser
def test_code_columns_fit_without_sideways_scrolling_and_metrics_before_training(page, app_url):
    """Issue 13: at the 1400 px viewport every code block of the first tab is read without scrolling sideways,
    and the two aligned columns have no soft-wrapped row (which would push line n away from its twin)."""
    open_page(page, app_url, "toy-networks", timeout=120)
    page.get_by_text("PyTorch code of the versions chosen above").wait_for(timeout=120_000)
    wait_idle(page, timeout=120)
    # a page still drawing shows grey placeholders for a moment: wait for the three code blocks themselves
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid="stCode"]')]
        .filter(el => el.offsetParent !== null && !el.closest('[data-testid="stExpander"]')).length >= 3""",
                           timeout=60_000)
    blocks = page.evaluate("""() => [...document.querySelectorAll('[data-testid="stCode"]')]
        .filter(el => el.offsetParent !== null && !el.closest('[data-testid="stExpander"]'))
        .map(el => { const pre = el.querySelector('pre');
                     const rows = [...el.querySelectorAll('code > span[style*="flex"]')];
                     const lh = parseFloat(getComputedStyle(el.querySelector('code')).lineHeight);
                     return {scroll: pre.scrollWidth, width: pre.clientWidth, rows: rows.length,
                             wrapped: rows.filter(r => r.getBoundingClientRect().height > 1.5 * lh).length}; })""")
    assert len(blocks) == 3, blocks                          # "Code of", then the numpy and torch columns
    assert all(b["scroll"] <= b["width"] for b in blocks), blocks
    numpy_col, torch_col = blocks[1], blocks[2]
    assert numpy_col["rows"] == torch_col["rows"] > 40
    assert numpy_col["wrapped"] == torch_col["wrapped"] == 0, blocks
    page.get_by_text("numpy and PyTorch, line by line").scroll_into_view_if_needed()
    screenshot(page, "toy-networks-aligned-code")
    page.get_by_role("tab", name="Playground (2-D)").click()
    page.get_by_text("Open the Toy playground").wait_for(timeout=30_000)


# ---------------------------------------------------------------- settings in the URL (issue 12)
PAGE_PATH = "pages/toy_networks.py"


def _in_app(query: dict | None = None) -> AppTest:
    return open_in_app(PAGE_PATH, query, timeout=60)


def _away_and_back(at: AppTest) -> AppTest:
    return away_and_back(at, PAGE_PATH, "pages/autograd_explorer.py", "Autograd explorer")


def test_settings_survive_a_page_switch():
    at = _in_app()
    at.slider(key="toy_epochs").set_value(20000)
    at.select_slider(key="toy_lr").set_value(0.3)
    at.selectbox(key="toy_init").set_value("normal")
    at.multiselect(key="toy_impls").set_value(["nn", "numpy"])
    at.checkbox(key="toy_same_init").uncheck()
    at.radio(key="toy_align_with").set_value("torch-fixed")
    at.number_input(key="toy_speed_tiny").set_value(40).run()
    _away_and_back(at)
    assert at.slider(key="toy_epochs").value == 20000 and at.select_slider(key="toy_lr").value == 0.3
    assert at.selectbox(key="toy_init").value == "normal" and at.multiselect(key="toy_impls").value == ["nn", "numpy"]
    assert at.checkbox(key="toy_same_init").value is False and at.radio(key="toy_align_with").value == "torch-fixed"
    assert at.number_input(key="toy_speed_tiny").value == 40
    assert "epoch = 20000" in at.code[0].value  # the page computes with them, too


def test_a_shared_link_opens_its_settings():
    at = _in_app({"toy_epochs": "300", "toy_lr": "0.3", "toy_hidden": "6", "toy_seed": "4",
                  "toy_init": "normal (torch.randn)", "toy_optimizer": "ADAM", "toy_same_init": "false",
                  "toy_impls": [TITLES["nn"], TITLES["numpy"]], "toy_align_with": TITLES["torch-fixed"]})
    assert not url_notes(at), url_notes(at)
    assert at.slider(key="toy_epochs").value == 300 and at.select_slider(key="toy_lr").value == 0.3
    assert at.slider(key="toy_hidden").value == 6 and at.number_input(key="toy_seed").value == 4
    assert at.selectbox(key="toy_init").value == "normal" and at.selectbox(key="toy_optimizer").value == "adam"
    assert at.checkbox(key="toy_same_init").value is False and at.multiselect(key="toy_impls").value == ["nn", "numpy"]
    assert at.radio(key="toy_align_with").value == "torch-fixed"
    assert len(_frame_with(at, "article's hand-written")) == 7  # the gradient check ran with 6 hidden units


def test_a_hostile_address_falls_back_to_the_defaults_with_a_note():
    at = _in_app({"toy_epochs": "lots", "toy_hidden": "1e999", "toy_seed": "-5", "toy_lr": "nan",
                  "toy_init": "x" * 10_000, "toy_impls": ["<script>alert(1)</script>"], "toy_same_init": "maybe",
                  "<b>evil</b>": "1",
                  "toy_results": "[]"})
    assert at.slider(key="toy_epochs").value == 5000 and at.slider(key="toy_hidden").value == 3
    assert at.number_input(key="toy_seed").value == 0 and at.select_slider(key="toy_lr").value == 0.1
    assert at.selectbox(key="toy_init").value == "uniform" and at.checkbox(key="toy_same_init").value is True
    assert at.multiselect(key="toy_impls").value == ["numpy", "torch-article"]
    assert "toy_results" not in at.session_state  # a query key is never page state
    [note] = url_notes(at)
    for key in ("toy_epochs", "toy_hidden", "toy_seed", "toy_lr", "toy_init", "toy_impls"):
        assert f"`{key}`" in note, key
    assert "`<b>evil</b>` = `1`: not a setting of this page" in note and "x" * 81 not in note
