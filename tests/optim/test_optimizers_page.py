"""The Optimizers page: AppTests drive its widgets through app.py; a browser test runs a race and clicks a start."""

from __future__ import annotations

import pytest
from conftest import expect_no_exception, open_in_app, open_page, screenshot, url_notes, wait_idle
from streamlit.testing.v1 import AppTest

from pytorch_explorer.optim.optimizers import RACER_TITLES, RACERS
from pytorch_explorer.optim.surfaces import SURFACES

PAGE_PATH = "pages/optimizers.py"


def _in_app(query: dict | None = None) -> AppTest:
    return open_in_app(PAGE_PATH, query, timeout=90)


def _table(at: AppTest, column: str):
    frames = [d.value for d in at.dataframe if column in d.value.columns]
    assert frames, f"no table with a {column!r} column"
    return frames[0]


def _run(at: AppTest) -> AppTest:
    at.run(timeout=90)
    assert not at.exception, at.exception
    return at


def test_the_page_opens_with_a_race_on_the_bowl():
    at = _in_app()
    assert at.title[0].value == "Optimizers" and not at.error
    assert at.selectbox(key="op_surface").value == "quadratic"
    assert at.multiselect(key="op_racers").value == ["sgd", "momentum", "adam"]
    summary = _table(at, "distance to nearest minimum")
    assert list(summary["optimizer"]) == ["SGD", "SGD + momentum", "Adam"]
    assert (summary["ended"] == "200 steps").all() and (summary["distance to nearest minimum"] < 0.01).all()
    state = _table(at, "step shown")
    assert "momentum_buffer" in state.columns and "exp_avg_sq" in state.columns
    text = " ".join(m.value for m in at.markdown)
    assert "`exp_avg`" in text and "`momentum_buffer`" in text and "v ← μ·v + g" in text
    code = at.code[-1].value
    assert "torch.optim.SGD(params, lr=0.3)" in code and "torch.optim.Adam(params, lr=0.05" in code
    assert "opt.zero_grad()" in code and "loss.backward()" in code and "opt.step()" in code


def test_pick_optimizers_change_lr_surface_and_schedule():
    at = _in_app()
    at.selectbox(key="op_surface").set_value("himmelblau")
    at.multiselect(key="op_racers").set_value(list(RACERS))
    _run(at)
    at.select_slider(key="op_lr_himmelblau_adam").set_value(0.1)
    at.slider(key="op_steps").set_value(100)
    at.selectbox(key="op_sched").set_value("steplr")
    _run(at)
    at.slider(key="op_step_size").set_value(20)
    _run(at)
    summary = _table(at, "distance to nearest minimum")
    assert list(summary["optimizer"]) == [RACER_TITLES[r] for r in RACERS]
    assert summary.set_index("optimizer").loc["Adam", "lr"] == 0.1
    paths = at.session_state["op_race"][1]
    assert paths["adam"].lrs[1:] == pytest.approx([0.1 * 0.5 ** ((k - 1) // 20) for k in range(1, 101)])
    code = at.code[-1].value
    assert "torch.optim.lr_scheduler.StepLR(opt, step_size=20, gamma=0.5)" in code and "steps = 100" in code
    assert "torch.optim.Adam(params, lr=0.1" in code and "(x**2 + y - 11)**2" in code
    # the state shown follows the step slider
    at.slider(key="op_step").set_value(0)
    _run(at)
    assert set(_table(at, "step shown")["step shown"]) == {0}
    assert any("no state yet" in c.value for c in at.caption)


def test_a_learning_rate_too_high_diverges_in_words():
    at = _in_app()
    at.select_slider(key="op_lr_quadratic_sgd").set_value(0.5)
    _run(at)
    [warning] = [w.value for w in at.warning if "SGD" in w.value]
    assert "diverged at step" in warning and "learning rate" in warning
    summary = _table(at, "ended").set_index("optimizer")
    assert summary.loc["SGD", "ended"].startswith("diverged at step")
    assert summary.loc["Adam", "ended"] == "200 steps"


def test_nesterov_without_momentum_is_explained_not_raised():
    at = _in_app({"op_racers": [RACER_TITLES["nesterov"]]})
    at.slider(key="op_momentum").set_value(0.0)
    _run(at)
    assert at.error and "Nesterov momentum" in at.error[0].value and "0.9 is usual" in at.error[0].value
    at.slider(key="op_momentum").set_value(0.5)
    _run(at)
    assert not at.error and "torch.optim.SGD(params, lr=0.02, momentum=0.5, nesterov=True)" in at.code[-1].value


def test_a_formula_of_your_own_and_hostile_ones():
    at = _in_app()
    at.selectbox(key="op_surface").set_value("custom")
    _run(at)
    assert not at.error and "x**2 + 3*y**2" in at.text_input(key="op_formula").value
    at.text_input(key="op_formula").set_value("torch.sin(3*x) * torch.cos(3*y) + 0.1*(x**2 + y**2)")
    _run(at)
    assert not at.error and len(_table(at, "ended")) == 3
    assert "return torch.sin(3*x) * torch.cos(3*y) + 0.1*(x**2 + y**2)" in at.code[-1].value
    for formula, message in [("__import__('os').system('touch /tmp/pwned')", "not allowed"),
                             ("x.__class__.__bases__", "not allowed"),
                             ("torch.ones(3) * x", "one real number"),
                             ("1 / (x + 2) + y", "must be finite"),  # the start is x = -2
                             ("x.sum(dim=0) * 3", "number by number"),
                             ("x +", "not a valid expression")]:
        at.text_input(key="op_formula").set_value(formula)
        _run(at)
        assert at.error and message in at.error[0].value, formula
        assert not at.code  # no race, no code, no traceback


def test_a_shared_link_opens_its_settings_and_a_hostile_one_gets_a_note():
    at = _in_app({"op_surface": SURFACES["beale"].title, "op_racers": [RACER_TITLES["adam"], RACER_TITLES["rmsprop"]],
                  "op_lr_beale_adam": "0.2", "op_steps": "50", "op_x0_beale": "2", "op_y0_beale": "1"})
    assert not url_notes(at), url_notes(at)
    assert at.selectbox(key="op_surface").value == "beale"
    assert at.select_slider(key="op_lr_beale_adam").value == 0.2 and at.slider(key="op_steps").value == 50
    paths = at.session_state["op_race"][1]
    assert paths["adam"].points[0] == (2.0, 1.0) and len(paths["adam"].points) == 51
    hostile = _in_app({"op_steps": "1e9", "op_surface": "<img src=x>", "op_lr_quadratic_sgd": "nan",
                       "op_x0_quadratic": "1e999", "op_evil": "1"})
    assert hostile.slider(key="op_steps").value == 200 and hostile.selectbox(key="op_surface").value == "quadratic"
    [note] = url_notes(hostile)
    for key in ("op_steps", "op_surface", "op_lr_quadratic_sgd", "op_evil"):
        assert f"`{key}`" in note, key


@pytest.mark.browser
def test_a_race_in_the_browser(page, app_url):
    rosenbrock = "Rosenbrock%3A+%281+%E2%88%92+x%29%C2%B2+%2B+100%C2%B7%28y+%E2%88%92+x%C2%B2%29%C2%B2"
    open_page(page, app_url, f"optim?op_surface={rosenbrock}&op_racers=SGD&op_racers=Nesterov&op_racers=Adam")
    expect_no_exception(page)
    page.get_by_text("Inside the optimizers after step").wait_for(timeout=60_000)
    assert page.get_by_role("spinbutton", name="Start x").input_value() == "-1.50"
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    chart.scroll_into_view_if_needed()
    # a click on the plot chooses the start point: upper right, about (1, 2)
    box = chart.locator(".nsewdrag").first.bounding_box()
    x, y = box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.25
    page.mouse.move(x, y)
    page.wait_for_timeout(500)
    page.mouse.click(x, y)
    wait_idle(page)
    expect_no_exception(page)
    assert float(page.get_by_role("spinbutton", name="Start x").input_value()) == pytest.approx(1.0, abs=0.15)
    assert float(page.get_by_role("spinbutton", name="Start y").input_value()) == pytest.approx(2.0, abs=0.15)
    # the race ran again from there; play its animation: the surface stays behind the moving dots
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    chart.get_by_text("▶ Play").click()
    page.wait_for_timeout(6000)
    assert chart.locator("image").count() == 1
    expect_no_exception(page)
    chart.scroll_into_view_if_needed()
    screenshot(page, "optimizers_race")
    page.get_by_text("Inside the optimizers after step").scroll_into_view_if_needed()
    text = page.inner_text("body")
    assert "Adam" in text and "SGD" in text and "Nesterov" in text and "momentum_buffer" in text
    screenshot(page, "optimizers_state")


@pytest.mark.browser
def test_a_diverging_learning_rate_in_the_browser(page, app_url):
    open_page(page, app_url, "optim?op_lr_quadratic_sgd=0.5&op_steps=50")
    expect_no_exception(page)
    warning = page.get_by_text("diverged at step 3").first
    warning.wait_for(timeout=60_000)
    assert "learning rate" in warning.inner_text()
    page.locator('[data-testid="stPlotlyChart"]').first.scroll_into_view_if_needed()
    screenshot(page, "optimizers_diverged")
